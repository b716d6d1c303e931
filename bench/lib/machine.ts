/**
 * A description of the machine a benchmark ran on, printed above its results, because
 * every number below depends on it.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

function readOsName(): string {
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';

  return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? `${os.type()} ${os.release()}`;
}

/** Returns wrk's name and version, such as "wrk 4.2.0", or undefined without wrk. */
export function readWrkVersion(): string | undefined {
  const result = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined) return undefined;

  return /^wrk \S+/m.exec(`${result.stdout}${result.stderr}`)?.[0] ?? 'wrk';
}

/** Returns the machine description as lines: CPU, memory, OS, Node, load and date. */
export function describeMachine(): string[] {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const memoryGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  const load = os.loadavg().map((value) => value.toFixed(2)).join(' ');

  return [
    `CPU:     ${model}, ${os.availableParallelism()} cores available (${cpus.length} logical)`,
    `Memory:  ${memoryGiB} GiB`,
    `OS:      ${readOsName()}, kernel ${os.release()}, ${os.arch()}`,
    `Node:    ${process.version}`,
    `Load:    ${load} (1, 5 and 15 min averages before the run)`,
    `Date:    ${new Date().toISOString()}`,
  ];
}
