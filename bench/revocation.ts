/**
 * Durable revocations per second: POST /user/logout and POST /user/logout_all with 1 and
 * with 32 concurrent clients, against raw SQLite inserts with synchronous=FULL, one per
 * transaction, measured in the same run on the same disk. A 204 from the server means
 * the revocation is committed with synchronous=FULL, so a lone client pays one commit
 * per request like the baseline. Concurrent clients share commits through group commit.
 *
 * Every request carries a token not seen before, signed with the server's secret, so
 * that each one is a real write. For logout_all, each token's subject is a different
 * user, who revokes their own tokens.
 *
 * Usage: node bench/revocation.ts [--rounds 5] [--seconds 2] [--no-machine]
 */

import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { openDatabase } from '../lib/store/db.ts';
import { hashPassword } from '../lib/users/password.ts';
import { printHeader, readCount, withScratch } from './lib/cli.ts';
import { fillDatabase, signBenchToken, userName } from './lib/fixtures.ts';
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
import type { Target } from './lib/stats.ts';

const MAX_REQUESTS = 200_000;
// logout_all revokes the tokens of an existing user, and a run needs one user per request.
const USERS = 150_000;
// One commit and one loopback round trip per logout, against one commit per insert.
const SINGLE_TARGET = { value: 0.5 };
// Group commit: 32 clients share commits, so they must beat one commit per insert.
const GROUP_TARGET = { value: 2 };

interface Settings {
  rounds: number;
  seconds: number;
  withMachine: boolean;
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '2' },
      'no-machine': { type: 'boolean', default: false },
    },
  });

  return {
    rounds: readCount(values.rounds, 'rounds'),
    seconds: readCount(values.seconds, 'seconds'),
    withMachine: !values['no-machine'],
  };
}

/**
 * Commits one insert per transaction for `seconds`, into the revoked_tokens table of a
 * database with the server's schema and connection settings: WAL, synchronous=FULL.
 */
function runRawInserts(dbPath: string, seconds: number): LoadResult {
  const { db } = openDatabase(dbPath, { busyTimeoutMs: 5000 });
  try {
    const insert = db.prepare(
      'INSERT INTO revoked_tokens (token_key, expires_at_us) VALUES (?, ?)',
    );
    const durations: number[] = [];
    const started = performance.now();
    const deadline = started + seconds * 1000;
    while (performance.now() < deadline && durations.length < MAX_REQUESTS) {
      const begin = performance.now();
      db.exec('BEGIN IMMEDIATE');
      insert.run(randomBytes(16).toString('base64url'), Date.now() * 1000);
      db.exec('COMMIT');
      durations.push(performance.now() - begin);
    }
    const elapsed = (performance.now() - started) / 1000;

    return {
      completed: durations.length,
      seconds: elapsed,
      perSecond: durations.length / elapsed,
      p50Ms: percentile(durations, 50),
      p99Ms: percentile(durations, 99),
    };
  } finally {
    db.close();
  }
}

/** Builds request number `index` of a run for a server on `port`. */
type RequestBuilder = (port: number, index: number) => Buffer;

function logoutRequest(port: number, index: number): Buffer {
  const token = signBenchToken(userName(index % USERS));
  const headers = { Authorization: `Bearer ${token}` };

  return Buffer.from(formatRequest({ method: 'POST', path: '/user/logout', headers }, port));
}

/**
 * Each request of a run names another user, because a revoke-all rejects the user's
 * tokens issued before it. Tokens are signed just before each run, after every earlier
 * revoke-all, so the next run can use the same users again.
 */
function logoutAllRequest(port: number, index: number): Buffer {
  const user = userName(index % USERS);
  const headers = { Authorization: `Bearer ${signBenchToken(user)}`, 'X-Auth-UserId': user };

  return Buffer.from(formatRequest({ method: 'POST', path: '/user/logout_all', headers }, port));
}

interface Case {
  label: string;
  connections: number;
  build: RequestBuilder;
  /** Maximum requests per second per connection that a run signs tokens for in advance. */
  maxRatePerConnection: number;
  target: Target | undefined;
  results: LoadResult[];
}

/**
 * Runs `testCase` for `seconds`. Its requests are signed in advance, so that the client
 * spends no CPU time on signing while it measures. The run ends early if it uses them up.
 */
function runCase(server: ServerChild, testCase: Case, seconds: number): Promise<LoadResult> {
  const perSecond = testCase.maxRatePerConnection * testCase.connections;
  const count = Math.min(MAX_REQUESTS, USERS, Math.ceil(perSecond * seconds));
  const requests = Array.from({ length: count }, (_, index) => testCase.build(server.port, index));

  return runSocketLoad({
    port: server.port,
    connections: testCase.connections,
    durationMs: seconds * 1000,
    maxRequests: count,
    request: (index) => requests[index]!,
    expectedStatus: 204,
  });
}

async function run(settings: Settings, dir: string): Promise<void> {
  const tally = new TargetTally();
  const dbPath = join(dir, 'server.db');
  fillDatabase(dbPath, {
    revokedTokens: 0,
    users: USERS,
    passwordHash: await hashPassword('bench-password'),
    notBeforeUs: undefined,
    expiresAtUs: 0,
  });
  const server = await startAtsAuthServer(dbPath, join(dir, 'server.log'));
  const cases: Case[] = [
    {
      label: 'logout, 1 client',
      connections: 1,
      build: logoutRequest,
      maxRatePerConnection: 10_000,
      target: SINGLE_TARGET,
      results: [],
    },
    {
      label: 'logout, 32 clients',
      connections: 32,
      build: logoutRequest,
      maxRatePerConnection: 2_000,
      target: GROUP_TARGET,
      results: [],
    },
    {
      label: 'logout_all, 1 client',
      connections: 1,
      build: logoutAllRequest,
      maxRatePerConnection: 10_000,
      target: SINGLE_TARGET,
      results: [],
    },
    {
      label: 'logout_all, 32 clients',
      connections: 32,
      build: logoutAllRequest,
      maxRatePerConnection: 2_000,
      target: GROUP_TARGET,
      results: [],
    },
  ];
  console.log(
    `Server and baseline on ${dir}; ${settings.rounds} rounds of ${settings.seconds} s per case, ` +
      'in rotating order, medians',
  );

  const raw: LoadResult[] = [];
  const idleProbe: LoadResult[] = [];
  const busyProbe: LoadResult[] = [];
  try {
    for (const testCase of cases) await runCase(server, testCase, 1);
    for (let round = 0; round < settings.rounds; round++) {
      const steps = [
        async () => raw.push(runRawInserts(join(dir, 'raw.db'), settings.seconds)),
        ...cases.map((testCase) => async () => {
          testCase.results.push(await runCase(server, testCase, settings.seconds));
        }),
      ];
      for (let offset = 0; offset < steps.length; offset++) {
        await steps[(round + offset) % steps.length]!();
      }

      idleProbe.push(await runVerifyProbe(server, settings.seconds));
      const [probe] = await Promise.all([
        runVerifyProbe(server, settings.seconds),
        runCase(server, cases[1]!, settings.seconds + 1),
      ]);
      busyProbe.push(probe);
    }
  } finally {
    await server.stop();
  }

  const rawRate = median(raw.map((result) => result.perSecond));
  const commitMs = median(raw.map((result) => result.p50Ms));
  console.log(
    formatValueLine('raw SQLite insert + commit baseline', formatRate(rawRate)) +
      `  (one commit: ${commitMs.toFixed(2)} ms)`,
  );
  for (const testCase of cases) {
    const rate = median(testCase.results.map((result) => result.perSecond));
    const ratio = median(
      testCase.results.map((result, index) => result.perSecond / raw[index]!.perSecond),
    );
    console.log(formatRatioLine(testCase.label, formatRate(rate), ratio, testCase.target, tally));
  }

  const idleP99 = median(idleProbe.map((result) => result.p99Ms));
  const busyP99 = median(busyProbe.map((result) => result.p99Ms));
  console.log(formatValueLine('verify p99, server idle', formatMs(idleP99)));
  console.log(
    formatRatioLine(
      'verify p99 during 32 logouts',
      formatMs(busyP99),
      busyP99 / idleP99,
      undefined,
      tally,
    ),
  );
  console.log(tally.summary());
}

async function main(): Promise<void> {
  const settings = readSettings();
  printHeader('Revocation: POST /user/logout and /user/logout_all', settings.withMachine);
  await withScratch((dir) => run(settings, dir));
}

await main();
