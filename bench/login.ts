/**
 * POST /user/login against raw crypto.argon2 calls with the same parameters at the same
 * concurrency, in the same run. A login costs one Argon2id verification, so the ratio
 * shows what HTTP, JSON, the throttle, the user lookup and token signing add to it.
 *
 * Then GET /token/verify p99 latency on one connection, with the server idle and while
 * logins keep every core busy. Argon2 runs on the libuv thread pool, so verification
 * should wait for a free core at most, never for a whole hash.
 *
 * Usage: node bench/login.ts [--rounds 5] [--seconds 3] [--concurrency N] [--no-machine]
 */

import { Buffer } from 'node:buffer';
import { argon2, randomBytes } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { ARGON2_COST, hashPassword } from '../lib/users/password.ts';
import { printHeader, readCount, withScratch } from './lib/cli.ts';
import { fillDatabase, userName } from './lib/fixtures.ts';
import { formatRequest, runSocketLoad } from './lib/load.ts';
import type { LoadResult } from './lib/load.ts';
import { startAtsAuthServer } from './lib/servers.ts';
import type { ServerChild } from './lib/servers.ts';
import { runVerifyProbe } from './lib/verify-probe.ts';
import {
  TargetTally,
  formatMs,
  formatRate,
  formatRatioLine,
  formatValueLine,
  median,
  percentile,
} from './lib/stats.ts';

const PASSWORD = 'bench-password';
const USERS = 64;
// The throttle counts each login in flight as a failure until it succeeds, and responds 429
// past 20 per address, so every login of this benchmark, from 127.0.0.1, stays below that.
const MAX_CONCURRENCY = 16;
// Overhead of at most 10% over the hash alone.
const LOGIN_TARGET = { value: 0.9 };
// At most half a hash time, because verification should wait for a core, never for a hash.
const HASH_TARGET = { value: 0.5, atMost: true };

interface Settings {
  rounds: number;
  seconds: number;
  concurrency: number;
  withMachine: boolean;
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '3' },
      // Two hashes per core keep every core busy while responses travel.
      concurrency: {
        type: 'string',
        default: String(Math.min(MAX_CONCURRENCY, os.availableParallelism() * 2)),
      },
      'no-machine': { type: 'boolean', default: false },
    },
  });

  const concurrency = readCount(values.concurrency, 'concurrency');
  if (concurrency > MAX_CONCURRENCY) {
    throw new TypeError(
      `Invalid --concurrency ${concurrency}: use at most ${MAX_CONCURRENCY}, because the ` +
        'login throttle counts the logins in flight from one address',
    );
  }

  return {
    rounds: readCount(values.rounds, 'rounds'),
    seconds: readCount(values.seconds, 'seconds'),
    concurrency,
    withMachine: !values['no-machine'],
  };
}

function argon2Once(message: Buffer): Promise<number> {
  const started = performance.now();
  const parameters = {
    message,
    nonce: randomBytes(16),
    parallelism: ARGON2_COST.parallelism,
    tagLength: 32,
    memory: ARGON2_COST.memoryKiB,
    passes: ARGON2_COST.passes,
  };

  return new Promise((resolve, reject) => {
    argon2('argon2id', parameters, (error) => {
      if (error === null) resolve(performance.now() - started);
      else reject(error);
    });
  });
}

/** Keeps `concurrency` raw Argon2id calls running for `seconds` and returns the rate. */
async function runRawArgon2(concurrency: number, seconds: number): Promise<LoadResult> {
  const message = Buffer.from(PASSWORD);
  const deadline = performance.now() + seconds * 1000;
  const durations: number[] = [];
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) durations.push(await argon2Once(message));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;

  return {
    completed: durations.length,
    seconds: elapsed,
    perSecond: durations.length / elapsed,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
  };
}

function runLogins(server: ServerChild, concurrency: number, seconds: number) {
  const requests = Array.from({ length: USERS }, (_, index) =>
    Buffer.from(
      formatRequest(
        {
          method: 'POST',
          path: '/user/login',
          body: JSON.stringify({ username: userName(index), password: PASSWORD }),
        },
        server.port,
      ),
    ),
  );

  return runSocketLoad({
    port: server.port,
    connections: concurrency,
    durationMs: seconds * 1000,
    maxRequests: 100_000,
    request: (index) => requests[index % USERS]!,
    expectedStatus: 200,
  });
}

async function measureThroughput(settings: Settings, server: ServerChild, tally: TargetTally) {
  const raw: LoadResult[] = [];
  const logins: LoadResult[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    // Alternate which goes first, so a change in load does not always hit the same side.
    if (round % 2 === 0) raw.push(await runRawArgon2(settings.concurrency, settings.seconds));
    logins.push(await runLogins(server, settings.concurrency, settings.seconds));
    if (round % 2 === 1) raw.push(await runRawArgon2(settings.concurrency, settings.seconds));
  }

  const rawRate = median(raw.map((result) => result.perSecond));
  const ratio = median(logins.map((result, index) => result.perSecond / raw[index]!.perSecond));
  console.log(formatValueLine('raw crypto.argon2 baseline', formatRate(rawRate)));
  const rate = formatRate(median(logins.map((result) => result.perSecond)));
  console.log(formatRatioLine('login, req/s', rate, ratio, LOGIN_TARGET, tally));
}

async function measureLatency(settings: Settings, server: ServerChild, tally: TargetTally) {
  const idle: LoadResult[] = [];
  const busy: LoadResult[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    idle.push(await runVerifyProbe(server, settings.seconds));
    const [probe] = await Promise.all([
      runVerifyProbe(server, settings.seconds),
      runLogins(server, settings.concurrency, settings.seconds + 1),
    ]);
    busy.push(probe);
  }

  const hashMs: number[] = [];
  for (let call = 0; call < 5; call++) hashMs.push(await argon2Once(Buffer.from(PASSWORD)));
  const oneHashMs = median(hashMs);
  const idleP99 = median(idle.map((result) => result.p99Ms));
  const busyP99 = median(busy.map((result) => result.p99Ms));
  const busyText = formatMs(busyP99);

  const toIdle = busyP99 / idleP99;
  const toHash = busyP99 / oneHashMs;

  console.log(formatValueLine('verify p99, server idle', formatMs(idleP99)));
  console.log(
    formatRatioLine('verify p99 during logins vs idle', busyText, toIdle, undefined, tally),
  );
  // A hash on the event loop would delay every request behind it by a whole hash time.
  console.log(
    formatRatioLine('verify p99 during logins vs 1 hash', busyText, toHash, HASH_TARGET, tally),
  );
  console.log(formatValueLine('one Argon2id hash, nothing else running', formatMs(oneHashMs)));
}

async function run(settings: Settings, dir: string): Promise<void> {
  const tally = new TargetTally();
  const dbPath = join(dir, 'login.db');
  fillDatabase(dbPath, {
    revokedTokens: 0,
    users: USERS,
    passwordHash: await hashPassword(PASSWORD),
    notBeforeUs: undefined,
    expiresAtUs: 0,
  });
  const server = await startAtsAuthServer(dbPath, join(dir, 'login.log'));
  console.log(
    `Argon2id m=${ARGON2_COST.memoryKiB} KiB, t=${ARGON2_COST.passes}, ` +
      `p=${ARGON2_COST.parallelism}; ${settings.concurrency} concurrent logins or hashes, ` +
      `${settings.rounds} rounds of ${settings.seconds} s per side, medians`,
  );

  try {
    await runLogins(server, settings.concurrency, 1);
    await measureThroughput(settings, server, tally);
    await measureLatency(settings, server, tally);
  } finally {
    await server.stop();
  }
  console.log(tally.summary());
}

async function main(): Promise<void> {
  const settings = readSettings();
  printHeader('Login: POST /user/login', settings.withMachine);
  await withScratch((dir) => run(settings, dir));
}

await main();
