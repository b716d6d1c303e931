/**
 * GET /token/verify under keep-alive load, against a bare node:http server that sends 204
 * without doing any work, measured with the same load generator in the same run. Then
 * the same on a store holding 1,000,000 revoked tokens and 10,000 users with a not-before
 * time, against the empty store, and the memory each revoked token takes in the server.
 *
 * Each round measures the three servers once, for a second each by default, so that a
 * change in machine load falls on all of them alike. Ratios are taken within each round,
 * and the medians over the rounds are printed. The load comes from wrk when it is
 * installed and from the socket generator of bench/lib/load.ts otherwise. Tokens are
 * 1,000 distinct valid tokens sent in turn. The CPU time each server process used per
 * request, read from /proc, is shown too: it varies less than throughput when other
 * processes compete for the cores.
 *
 * Usage: node bench/server.ts [--rounds 15] [--seconds 1] [--connections 32]
 *        [--revoked 1000000] [--users 10000] [--engine wrk|socket] [--no-machine]
 */

import { spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { hashPassword } from '../lib/users/password.ts';
import { printHeader, readCount, withScratch } from './lib/cli.ts';
import { fillDatabase, signBenchToken, userName } from './lib/fixtures.ts';
import { formatRequest, runSocketLoad, runWrk } from './lib/load.ts';
import type { HttpRequest, LoadResult } from './lib/load.ts';
import { readWrkVersion } from './lib/machine.ts';
import { REPO_ROOT, countLines, startAtsAuthServer, startBareServer } from './lib/servers.ts';
import type { ServerChild } from './lib/servers.ts';
import {
  TargetTally,
  formatMs,
  formatRate,
  formatRatioLine,
  formatValueLine,
  median,
} from './lib/stats.ts';
import type { Target } from './lib/stats.ts';

const OVERHEAD_TARGET = { value: 0.8 };
const FULL_STORE_TARGET = { value: 0.95 };
const TOKEN_COUNT = 1000;

interface Settings {
  rounds: number;
  seconds: number;
  connections: number;
  revoked: number;
  users: number;
  engine: 'wrk' | 'socket';
  withMachine: boolean;
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '15' },
      seconds: { type: 'string', default: '1' },
      connections: { type: 'string', default: '32' },
      revoked: { type: 'string', default: '1000000' },
      users: { type: 'string', default: '10000' },
      engine: { type: 'string' },
      'no-machine': { type: 'boolean', default: false },
    },
  });
  const engine = values.engine ?? (readWrkVersion() === undefined ? 'socket' : 'wrk');
  if (engine !== 'wrk' && engine !== 'socket') {
    throw new TypeError(`Invalid --engine ${JSON.stringify(engine)}: use wrk or socket`);
  }

  return {
    rounds: readCount(values.rounds, 'rounds'),
    seconds: readCount(values.seconds, 'seconds'),
    connections: readCount(values.connections, 'connections'),
    revoked: readCount(values.revoked, 'revoked', 0),
    users: readCount(values.users, 'users', TOKEN_COUNT),
    engine,
    withMachine: !values['no-machine'],
  };
}

/** One server under load, with the results of each round. */
interface Subject {
  label: string;
  server: ServerChild;
  results: LoadResult[];
  /** CPU time of the server process per request in each round, in microseconds. */
  cpuUs: number[];
}

function createLoad(settings: Settings, requests: readonly HttpRequest[]) {
  return (server: ServerChild, seconds: number): Promise<LoadResult> => {
    const { port } = server;
    const { connections } = settings;
    if (settings.engine === 'wrk') {
      return runWrk({ port, connections, durationSeconds: seconds, requests });
    }

    const bytes = requests.map((request) => Buffer.from(formatRequest(request, server.port)));

    return runSocketLoad({
      port,
      connections,
      durationMs: seconds * 1000,
      maxRequests: 5_000_000,
      request: (index) => bytes[index % bytes.length]!,
      expectedStatus: 204,
    });
  };
}

interface MemoryReport {
  count: number;
  bytes: number;
  loadMs: number;
}

function measureMemory(dbPath: string, form: 'set' | 'map'): MemoryReport {
  const script = join(REPO_ROOT, 'bench', 'lib', 'revocation-memory.ts');
  const result = spawnSync(process.execPath, ['--expose-gc', script, dbPath, form], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`revocation-memory.ts failed:\n${result.stderr}`);

  return JSON.parse(result.stdout) as MemoryReport;
}

/** Returns the median over rounds of `values[i] / base[i]`, values of the same round. */
function medianRatio(values: readonly number[], base: readonly number[]): number {
  return median(values.map((value, index) => value / base[index]!));
}

/** Per-round series of one server: requests per second, p99 latency, CPU per request. */
function seriesOf(subject: Subject) {
  return {
    rate: subject.results.map((result) => result.perSecond),
    p99: subject.results.map((result) => result.p99Ms),
    cpu: subject.cpuUs,
  };
}

function formatCpu(us: number): string {
  return `${us.toFixed(2)} us`.padStart(9);
}

function printThroughput(subjects: readonly [Subject, Subject, Subject], tally: TargetTally) {
  const [bare, empty, full] = subjects.map(seriesOf) as [
    ReturnType<typeof seriesOf>,
    ReturnType<typeof seriesOf>,
    ReturnType<typeof seriesOf>,
  ];
  const baseline =
    `${formatRate(median(bare.rate))}  p99 ${formatMs(median(bare.p99))}` +
    `  CPU/request ${formatCpu(median(bare.cpu))}`;
  console.log(formatValueLine('bare node:http 204 baseline', baseline));

  const lines: [string, string, number, Target | undefined][] = [
    ['verify, empty store, req/s', formatRate(median(empty.rate)),
      medianRatio(empty.rate, bare.rate), OVERHEAD_TARGET],
    ['verify, empty store, p99', formatMs(median(empty.p99)),
      medianRatio(empty.p99, bare.p99), undefined],
    ['verify, empty store, CPU/request', formatCpu(median(empty.cpu)),
      medianRatio(empty.cpu, bare.cpu), undefined],
    ['verify, full store vs empty, req/s', formatRate(median(full.rate)),
      medianRatio(full.rate, empty.rate), FULL_STORE_TARGET],
    ['verify, full store vs empty, p99', formatMs(median(full.p99)),
      medianRatio(full.p99, empty.p99), undefined],
    ['verify, full store vs empty, CPU/req', formatCpu(median(full.cpu)),
      medianRatio(full.cpu, empty.cpu), undefined],
  ];
  for (const [label, value, ratio, target] of lines) {
    console.log(formatRatioLine(label, value, ratio, target, tally));
  }
}

function printMemory(empty: ServerChild, full: ServerChild, fullDb: string): void {
  const set = measureMemory(fullDb, 'set');
  const map = measureMemory(fullDb, 'map');
  const perToken = (bytes: number) => `${(bytes / Math.max(1, set.count)).toFixed(1)} bytes`;

  const emptyRss = empty.readRssBytes();
  const fullRss = full.readRssBytes();
  if (emptyRss !== undefined && fullRss !== undefined) {
    console.log(
      formatValueLine('memory per revoked token, RSS', perToken(fullRss - emptyRss)) +
        '  (full-store server minus empty-store server after the load)',
    );
  }
  console.log(
    formatValueLine('memory per revoked token, heap', perToken(set.bytes)) +
      '  (V8 heap and external memory growth across the load, after full GCs)',
  );
  console.log(
    formatValueLine('  same for a Map of jti strings', perToken(map.bytes)) +
      '  (the earlier form, for comparison)',
  );
  console.log(
    formatValueLine('load at start, set', `${(set.loadMs / 1000).toFixed(2)} s`) +
      `  (Map of jti strings: ${(map.loadMs / 1000).toFixed(2)} s)`,
  );
}

function printLogCheck(subjects: readonly Subject[]): void {
  const servers = subjects.filter((subject) => subject.label !== 'bare');
  let requests = 0;
  let lines = 0;
  for (const subject of servers) {
    for (const result of subject.results) requests += result.completed;
    lines += countLines(subject.server.logPath);
  }

  console.log(
    formatValueLine('request log', `${lines.toLocaleString('en-US')} lines`) +
      `  for ${requests.toLocaleString('en-US')} measured requests, plus warm-up and start lines`,
  );
}

type Load = ReturnType<typeof createLoad>;

async function measureRounds(settings: Settings, subjects: readonly Subject[], load: Load) {
  // One second each to warm up the JIT, the token cache and the connections.
  for (const subject of subjects) await load(subject.server, 1);

  // The order rotates each round and runs backwards every other round, so that neither a
  // position in the round nor a trend in the machine's load favours one server.
  for (let round = 0; round < settings.rounds; round++) {
    const rotated = subjects.map((_, offset) => subjects[(round + offset) % subjects.length]!);
    if (round % 2 === 1) rotated.reverse();
    for (const subject of rotated) {
      const cpuBefore = subject.server.readCpuSeconds() ?? Number.NaN;
      const result = await load(subject.server, settings.seconds);
      const cpuAfter = subject.server.readCpuSeconds() ?? Number.NaN;
      subject.results.push(result);
      subject.cpuUs.push(((cpuAfter - cpuBefore) * 1e6) / result.completed);
    }
  }
}

async function run(settings: Settings, dir: string): Promise<void> {
  const tally = new TargetTally();
  const fullDb = join(dir, 'full.db');
  const nowUs = Date.now() * 1000;
  const fillMs = fillDatabase(fullDb, {
    revokedTokens: settings.revoked,
    users: settings.users,
    passwordHash: await hashPassword('bench-password'),
    notBeforeUs: nowUs - 60e6,
    expiresAtUs: nowUs + 7200e6,
  });
  console.log(
    `Full store: ${settings.revoked.toLocaleString('en-US')} revoked tokens and ` +
      `${settings.users.toLocaleString('en-US')} users with a not-before time, ` +
      `written in ${(fillMs / 1000).toFixed(1)} s`,
  );

  const bare = await startBareServer(join(dir, 'bare.log'));
  const empty = await startAtsAuthServer(join(dir, 'empty.db'), join(dir, 'empty.log'));
  const full = await startAtsAuthServer(fullDb, join(dir, 'full.log'));
  console.log(
    `Server start: ${(empty.startMs / 1000).toFixed(2)} s on the empty store, ` +
      `${(full.startMs / 1000).toFixed(2)} s on the full store`,
  );

  // Users with a not-before time an hour old hold these tokens, so each check looks both up.
  const requests = Array.from({ length: TOKEN_COUNT }, (_, index) => ({
    method: 'GET',
    path: '/token/verify',
    headers: { Authorization: `Bearer ${signBenchToken(userName(index))}` },
  }));
  const subjects: [Subject, Subject, Subject] = [
    { label: 'bare', server: bare, results: [], cpuUs: [] },
    { label: 'empty', server: empty, results: [], cpuUs: [] },
    { label: 'full', server: full, results: [], cpuUs: [] },
  ];
  const engine = settings.engine === 'wrk' ? readWrkVersion() : 'socket generator';
  console.log(
    `Load: ${engine}, ${settings.connections} keep-alive connections, ${TOKEN_COUNT} tokens ` +
      `in turn; ${settings.rounds} rounds of ${settings.seconds} s per server, medians`,
  );

  try {
    await measureRounds(settings, subjects, createLoad(settings, requests));
    printThroughput(subjects, tally);
    printMemory(empty, full, fullDb);
  } finally {
    for (const server of [bare, empty, full]) await server.stop();
  }
  printLogCheck(subjects);
  console.log(tally.summary());
}

async function main(): Promise<void> {
  const settings = readSettings();
  printHeader('Server: GET /token/verify', settings.withMachine);
  await withScratch((dir) => run(settings, dir));
}

await main();
