/**
 * Start-up benchmark of the single executable against bare Node (`node -e 0`, the Node
 * running this script) measured in the same run. Each round starts every case once, in a
 * rotating order, so that load on the machine falls on all cases alike. Prints the median
 * wall time and the median peak RSS of each case, their ratios to bare Node, and targets.
 *
 * Wall time is measured here around spawnSync(). Peak RSS comes from GNU time (`%M`, the
 * getrusage() maximum resident set size of the child), because Node has no API for the
 * resource usage of a child. Without /usr/bin/time the memory columns read n/a.
 *
 * Usage: node bench/startup.ts [BINARY] [--runs 30] [--warmup 3] [--in-place]
 */

import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const GNU_TIME = '/usr/bin/time';
const WALL_TARGET = 1.1;
const RSS_TARGET = 1.3;

interface Case {
  label: string;
  program: string;
  args: string[];
  isBaseline: boolean;
}

interface Samples {
  wallMs: number[];
  peakRssKiB: number[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle]!;

  return (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function hasGnuTime(): boolean {
  const result = spawnSync(GNU_TIME, ['--version'], { encoding: 'utf8' });

  return result.status === 0 && `${result.stdout}${result.stderr}`.includes('GNU');
}

/** Signs an HS256 token for the decoding case, which shows it without verifying it. */
function signToken(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = 1_900_000_000.016732;
  const claims = { iss: 'ats.auth', sub: 'marco', iat, exp: iat + 3600, jti: 'b'.repeat(32) };
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = createHmac('sha256', 'bench-secret').update(input).digest('base64url');

  return `${input}.${signature}`;
}

/** Lists the cases: bare Node first, then commands of the executable that need no server. */
function buildCases(node: string, binary: string): Case[] {
  const command = (label: string, args: string[]) => ({
    label: `ats-auth ${label}`,
    program: binary,
    args,
    isBaseline: false,
  });
  const cases: Case[] = [
    { label: 'node -e 0', program: node, args: ['-e', '0'], isBaseline: true },
    command('--version', ['--version']),
    command('help', ['help']),
    command('help token create', ['help', 'token', 'create']),
  ];

  // Only in builds whose CLI has the command.
  if (spawnSync(binary, ['help', 'token', 'decode'], { stdio: 'ignore' }).status === 0) {
    cases.push(command('token decode TOKEN', ['token', 'decode', signToken()]));
  }

  return cases;
}

function timeRun(entry: Case): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(entry.program, entry.args, { stdio: 'ignore' });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${entry.label} failed: exit status ${result.status}`);

  return wallMs;
}

function measurePeakRss(entry: Case, outputFile: string): number {
  const args = ['-f', '%M', '-o', outputFile, entry.program, ...entry.args];
  const result = spawnSync(GNU_TIME, args, { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${entry.label} under ${GNU_TIME} failed`);

  return Number(readFileSync(outputFile, 'utf8').trim());
}

/** Runs every case `warmup + runs` times, rotating the order each round. */
function runRounds(cases: readonly Case[], runs: number, warmup: number, scratch: string) {
  const samples: Samples[] = cases.map(() => ({ wallMs: [], peakRssKiB: [] }));
  const withMemory = hasGnuTime();
  const rssFile = join(scratch, 'rss.txt');

  for (let round = 0; round < warmup + runs; round++) {
    for (let offset = 0; offset < cases.length; offset++) {
      const index = (round + offset) % cases.length;
      const entry = cases[index]!;
      const wallMs = timeRun(entry);
      if (round < warmup) continue;

      samples[index]!.wallMs.push(wallMs);
      if (withMemory) samples[index]!.peakRssKiB.push(measurePeakRss(entry, rssFile));
    }
  }

  return samples;
}

function formatRatio(ratio: number, target: number, isBaseline: boolean): string {
  if (Number.isNaN(ratio)) return 'n/a';
  if (isBaseline) return '1.00';

  return `${ratio.toFixed(2)} (${ratio <= target ? 'within' : 'OVER'} ${target})`;
}

function printTable(cases: readonly Case[], samples: readonly Samples[]): void {
  const medianOrNaN = (values: readonly number[]) => (values.length > 0 ? median(values) : NaN);
  const baseWall = median(samples[0]!.wallMs);
  const baseRss = medianOrNaN(samples[0]!.peakRssKiB);

  const header = ['case', 'wall ms', 'wall ratio', 'peak RSS MiB', 'RSS ratio'];
  const rows = cases.map((entry, index) => {
    const wall = median(samples[index]!.wallMs);
    const rss = medianOrNaN(samples[index]!.peakRssKiB);

    return [
      entry.label,
      wall.toFixed(1),
      formatRatio(wall / baseWall, WALL_TARGET, entry.isBaseline),
      Number.isNaN(rss) ? 'n/a' : (rss / 1024).toFixed(1),
      formatRatio(rss / baseRss, RSS_TARGET, entry.isBaseline),
    ];
  });

  const table = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  for (const row of table) {
    const cells = row.map((cell, column) => {
      const width = widths[column]!;
      return column === 0 ? cell.padEnd(width) : cell.padStart(width);
    });
    console.log(cells.join('  '));
  }
}

function describeMachine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memoryGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const system = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? os.type();

  return `${cpu}, ${os.availableParallelism()} cores, ${memoryGiB} GiB RAM, ${system}, ` +
    `kernel ${os.release()}`;
}

function readCount(value: string | undefined, name: string, minimum: number): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < minimum) {
    const quoted = JSON.stringify(value);
    throw new TypeError(`Invalid --${name} ${quoted}: use a whole number of at least ${minimum}`);
  }

  return count;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '3' },
      'in-place': { type: 'boolean', default: false },
    },
  });
  const runs = readCount(values.runs, 'runs', 1);
  const warmup = readCount(values.warmup, 'warmup', 0);
  const binaryArgument = positionals[0] ?? 'dist/ats-auth';

  const scratch = mkdtempSync(join(os.tmpdir(), 'ats-auth-bench-'));
  try {
    let node = process.execPath;
    let binary = resolve(binaryArgument);
    // Both files are first copied the same way, because how a file's pages sit in the page
    // cache changes the peak RSS of its mapping (docs/BENCHMARKS.md). --in-place skips it.
    if (!values['in-place']) {
      node = join(scratch, 'node');
      binary = join(scratch, 'ats-auth');
      copyFileSync(process.execPath, node);
      copyFileSync(resolve(binaryArgument), binary);
    }

    const cases = buildCases(node, binary);
    console.log(`Start-up of ${binaryArgument} against node -e 0 (Node ${process.version})`);
    const date = new Date().toISOString();
    console.log(`Median of ${runs} runs after ${warmup} warm-up runs, ${date}`);
    console.log(`Machine: ${describeMachine()}`);
    const load = os.loadavg().map((value) => value.toFixed(2)).join(' ');
    console.log(`Load average before the runs: ${load} (wall times need an idle machine)`);
    if (!hasGnuTime()) console.log(`No GNU time at ${GNU_TIME}: peak RSS not measured`);
    console.log('');

    printTable(cases, runRounds(cases, runs, warmup, scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
