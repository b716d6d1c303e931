/**
 * Runs every benchmark in turn: the machine description first, then GET /token/verify,
 * login, revocation, and the HTTP-free codec benchmark when bench/codec.ts exists. Each
 * prints ratios against a baseline measured in its own run. `make bench` runs this, then
 * the start-up benchmark of the executable. Exits non-zero when a benchmark fails, not
 * when a target is missed: targets are read from the output.
 *
 * Usage: node bench/run.ts [--quick]
 *   --quick  fewer and shorter rounds and 100,000 revoked tokens, to check that the
 *            benchmarks run; its numbers are too noisy to record
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { describeMachine } from './lib/machine.ts';
import { REPO_ROOT } from './lib/servers.ts';

interface Benchmark {
  script: string;
  args: string[];
  quickArgs: string[];
}

const QUICK_ROUNDS = ['--rounds', '2', '--seconds', '1'];

const BENCHMARKS: readonly Benchmark[] = [
  {
    script: 'server.ts',
    args: ['--no-machine'],
    quickArgs: [...QUICK_ROUNDS, '--revoked', '100000'],
  },
  { script: 'login.ts', args: ['--no-machine'], quickArgs: QUICK_ROUNDS },
  { script: 'revocation.ts', args: ['--no-machine'], quickArgs: QUICK_ROUNDS },
  { script: 'codec.ts', args: [], quickArgs: ['--rounds', '3', '--ms', '100'] },
];

function main(): number {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const started = performance.now();
  console.log('== Machine');
  for (const line of describeMachine()) console.log(line);

  const failed: string[] = [];
  for (const benchmark of BENCHMARKS) {
    const script = join(REPO_ROOT, 'bench', benchmark.script);
    if (!existsSync(script)) continue;

    console.log('');
    const args = [script, ...benchmark.args, ...(values.quick ? benchmark.quickArgs : [])];
    const benchmarkStarted = performance.now();
    // Each benchmark in its own process, so that none inherits another's heap or JIT state.
    const result = spawnSync(process.execPath, args, { stdio: 'inherit', timeout: 600_000 });
    const seconds = ((performance.now() - benchmarkStarted) / 1000).toFixed(0);
    console.log(`(bench/${benchmark.script}: ${seconds} s)`);
    if (result.status !== 0) failed.push(benchmark.script);
  }

  const total = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\nbench/run.ts finished in ${total} s`);
  if (failed.length === 0) return 0;

  console.error(`Benchmarks that failed: ${failed.join(', ')}`);
  return 1;
}

process.exitCode = main();
