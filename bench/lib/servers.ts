/**
 * Servers under test, each a child process on 127.0.0.1 with a free port: the real
 * `ats-auth server` (or the executable named by ATS_AUTH_BIN), and a bare node:http server
 * that sends 204 without doing any work, the baseline for request overhead. Each one logs
 * to a file, as a server under a service manager would, and is killed when the benchmark
 * process exits.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BENCH_SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

const LISTENING = /^Listening on http:\/\/127\.0\.0\.1:(\d+)$/m;
const START_TIMEOUT_MS = 120_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServerChild {
  port: number;
  pid: number;
  logPath: string;
  /** Time from spawn until the server logged that it listens, in ms. */
  startMs: number;
  /** Resident set size now, from /proc, or undefined without /proc. */
  readRssBytes(): number | undefined;
  /** User and system CPU time used so far, from /proc, or undefined without /proc. */
  readCpuSeconds(): number | undefined;
  /** Sends SIGTERM and resolves once the process has exited. */
  stop(): Promise<void>;
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();

  return new Promise((done) => child.once('exit', () => done()));
}

function readRss(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

// /proc/PID/stat counts in USER_HZ, which Linux fixes at 100 on every architecture it
// exports to user space (the "clock ticks" of times(2)).
const TICKS_PER_SECOND = 100;

function readCpu(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name, which may itself contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);

    return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

async function waitForPort(child: ChildProcess, logPath: string): Promise<number> {
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const port = LISTENING.exec(readFileSync(logPath, 'utf8'))?.[1];
    if (port !== undefined) return Number(port);
    if (child.exitCode !== null) break;

    await new Promise((done) => setTimeout(done, 20));
  }

  child.kill('SIGKILL');
  throw new Error(`Server did not listen: ${logPath}:\n${readFileSync(logPath, 'utf8')}`);
}

async function startChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  logPath: string,
): Promise<ServerChild> {
  const logFd = openSync(logPath, 'w');
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  running.add(child);
  child.once('exit', () => running.delete(child));

  const port = await waitForPort(child, logPath);
  const pid = child.pid ?? 0;

  return {
    port,
    pid,
    logPath,
    startMs: performance.now() - started,
    readRssBytes: () => readRss(pid),
    readCpuSeconds: () => readCpu(pid),
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exitOf(child);
      clearTimeout(timer);
    },
  };
}

/** Starts `ats-auth server` on `dbPath` with the benchmark secret, logging to `logPath`. */
export function startAtsAuthServer(
  dbPath: string,
  logPath: string,
  env: Record<string, string> = {},
): Promise<ServerChild> {
  const binary = process.env['ATS_AUTH_BIN'];
  const [command, args] =
    binary === undefined || binary === ''
      ? [process.execPath, [join(REPO_ROOT, 'ats-auth.ts'), 'server']]
      : [binary, ['server']];
  const serverEnv = {
    ATSAUTH_DB: dbPath,
    ATSAUTH_SERVER_LISTEN_ADDRESS: '127.0.0.1',
    ATSAUTH_SERVER_LISTEN_PORT: '0',
    ATSAUTH_SERVER_JWT_SECRET: BENCH_SECRET,
    ...env,
  };

  return startChild(command, args, serverEnv, logPath);
}

/** Starts the bare node:http server of bare-server.ts, logging to `logPath`. */
export function startBareServer(logPath: string): Promise<ServerChild> {
  const script = join(REPO_ROOT, 'bench', 'lib', 'bare-server.ts');

  return startChild(process.execPath, [script], {}, logPath);
}

/** Returns the number of lines in the file at `path`. */
export function countLines(path: string): number {
  const bytes = readFileSync(path);
  let lines = 0;
  for (let index = bytes.indexOf(10); index >= 0; index = bytes.indexOf(10, index + 1)) lines++;

  return lines;
}
