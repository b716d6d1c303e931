/**
 * Runs the real CLI as a child process: `node ats-auth.ts` with the Node running the
 * tests, or the single executable named by ATS_AUTH_BIN.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Returns the program and leading arguments that start the CLI. */
export function cliCommand(): [string, string[]] {
  const binary = process.env['ATS_AUTH_BIN'];
  if (binary !== undefined && binary !== '') return [binary, []];

  return [process.execPath, [join(REPO_ROOT, 'ats-auth.ts')]];
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  /** Kills a hung child after this long; a safety net, not an assertion. */
  killAfterMs?: number;
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Creates a temporary directory removed when the test process exits. */
export function makeTempDir(prefix = 'ats-auth-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);

  return dir;
}

/**
 * Returns an environment with nothing of the developer's: no OS_* or ATS_AUTH_* variables, and
 * HOME and XDG_CONFIG_HOME in a fresh directory so that no real config file is found.
 */
export function cleanEnv(home: string, extra: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = {
    PATH: process.env['PATH'],
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    LANG: 'C.UTF-8',
    TZ: 'UTC',
  };

  return { ...env, ...extra };
}

/** Runs the CLI with `args` and resolves when it exits. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const [program, prefix] = cliCommand();
  const cwd = options.cwd ?? makeTempDir();
  const env = options.env ?? cleanEnv(cwd);
  const child = spawn(program, [...prefix, ...args], { cwd, env, stdio: 'pipe' });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');

  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);

  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(killer);
      resolve({
        status,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** Returns a loopback port that nothing listens on: bound by the system, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');

  return port;
}
