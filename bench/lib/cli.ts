/**
 * Command-line plumbing shared by the benchmark scripts: whole-number options, the header
 * each one prints, and a scratch directory removed at the end.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { describeMachine } from './machine.ts';

/** Returns `value` as a whole number of at least `minimum`; throws naming the option. */
export function readCount(value: string | undefined, name: string, minimum = 1): number {
  const count = Number(value);
  if (value !== undefined && /^\d+$/.test(value) && count >= minimum) return count;

  const quoted = JSON.stringify(value);
  throw new TypeError(`Invalid --${name} ${quoted}: use a whole number of at least ${minimum}`);
}

/** Prints the title, then the machine unless `withMachine` is false. */
export function printHeader(title: string, withMachine: boolean): void {
  console.log(`== ${title}`);
  if (withMachine) for (const line of describeMachine()) console.log(line);
}

/**
 * Runs `work` with a fresh directory in the system temporary directory and removes it
 * afterwards. Its fsync timings are those of the disk under the system temporary
 * directory.
 */
export async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(os.tmpdir(), 'ats-auth-bench-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
