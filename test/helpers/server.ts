/**
 * Test servers: in-process through startServer(), or as a child process running the real
 * CLI (`ats-auth.ts server`, or the binary in ATS_AUTH_BIN). Both listen on 127.0.0.1
 * port 0, use a SQLite file in a fresh temporary directory, and stop when the test ends.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';

import { createHs256Key, signHs256 } from '../../lib/jwt/jws.ts';
import { openDatabase, runTransaction } from '../../lib/store/db.ts';
import { UserStore } from '../../lib/store/users.ts';
import { hashPassword } from '../../lib/users/password.ts';
import { loadServerConfig } from '../../lib/server/config.ts';
import { createServerLog } from '../../lib/server/log.ts';
import { startServer } from '../../lib/server/server.ts';
import type { RunningServer, StartOptions } from '../../lib/server/server.ts';
import { REPO_ROOT, cliCommand, runCli as runCliProcess } from './cli.ts';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** Creates a temporary directory removed when the test ends. */
export function makeTempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ats-auth-server-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  return dir;
}

export interface TestUser {
  name: string;
  password: string;
  isAdmin?: boolean;
}

/** Adds users straight to the database at `dbPath`, creating it when needed. */
export async function addUsers(dbPath: string, users: readonly TestUser[]): Promise<void> {
  const hashes = await Promise.all(users.map((user) => hashPassword(user.password)));
  const store = openDatabase(dbPath, { busyTimeoutMs: 5000 });
  try {
    const table = new UserStore(store.db);
    runTransaction(store, () => {
      users.forEach((user, index) => {
        const passwordHash = hashes[index] ?? '';
        table.add({ name: user.name, passwordHash, isAdmin: user.isAdmin ?? false });
      });
    });
  } finally {
    store.db.close();
  }
}

/** Signs a token with `secret` directly, as a server sharing the secret would. */
export function signToken(claims: Record<string, unknown>, secret = TEST_SECRET): string {
  return signHs256(claims, createHs256Key(secret));
}

/** Environment for a test server: loopback, any free port, the test secret, `dbPath`. */
export function serverEnv(dbPath: string, extra: Record<string, string> = {}) {
  return {
    ATSAUTH_DB: dbPath,
    ATSAUTH_SERVER_LISTEN_ADDRESS: '127.0.0.1',
    ATSAUTH_SERVER_LISTEN_PORT: '0',
    ATSAUTH_SERVER_JWT_SECRET: TEST_SECRET,
    ...extra,
  };
}

export interface InProcessServer extends RunningServer {
  dbPath: string;
  /** Everything the server logged so far. */
  logs(): string;
}

/**
 * Starts a server in this process on `dbPath` (a fresh temporary file by default) and
 * closes it when the test ends.
 */
export async function startTestServer(
  t: TestContext,
  options: { dbPath?: string; env?: Record<string, string>; start?: StartOptions } = {},
): Promise<InProcessServer> {
  const dbPath = options.dbPath ?? join(makeTempDir(t), 'ats-auth.db');
  const config = loadServerConfig(serverEnv(dbPath, options.env));
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  const log = createServerLog({ json: config.logJson, stream });
  const running = await startServer(config, log, options.start ?? {});
  t.after(() => running.close());

  return {
    ...running,
    dbPath,
    logs: () => {
      log.flush();
      return text;
    },
  };
}

const START_TIMEOUT_MS = 15_000;
const TEXT_URL = /^Listening on (http:\/\/\S+)$/m;
const JSON_URL = /"url":"([^"]+)"/;

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  /** Sends SIGTERM and resolves to the exit code. */
  stop(): Promise<number | null>;
  /** Sends SIGKILL and resolves once the process is gone. */
  kill(): Promise<void>;
  logs(): string;
  /**
   * Resolves to the logs once they match `pattern`, or rejects after `limitMs`. The server
   * writes its log after the response, so a client can see a response before its log line.
   */
  waitForLog(pattern: RegExp, limitMs?: number): Promise<string>;
}

export interface ServerProcessOptions {
  /** Stops the process when this test ends. */
  t: TestContext;
  env: Record<string, string>;
  args?: readonly string[];
  stdin?: string;
}

/** Returns the command that runs the real CLI with `args`. */
function commandFor(args: readonly string[]): [string, string[]] {
  const [program, prefix] = cliCommand();

  return [program, [...prefix, ...args]];
}

const closed = new WeakMap<ChildProcess, Promise<number | null>>();

/** Resolves to the exit code once the process has exited and its output is read. */
function exitOf(child: ChildProcess): Promise<number | null> {
  let promise = closed.get(child);
  if (promise === undefined) {
    promise = new Promise((done) => child.once('close', (code) => done(code)));
    closed.set(child, promise);
  }

  return promise;
}

/**
 * Spawns `ats-auth server` with `options.env` on top of a minimal environment and
 * resolves once it logs the URL it listens on. Rejects with the logs when it exits first.
 */
export function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const [command, args] = commandFor(['server', ...(options.args ?? [])]);
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  void exitOf(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stdout.resume();
  options.t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const stop = async () => {
    child.kill('SIGTERM');
    // A server that ignores SIGTERM fails the test instead of hanging it.
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    const code = await exitOf(child);
    clearTimeout(timer);

    return code;
  };
  const kill = async () => {
    child.kill('SIGKILL');
    await exitOf(child);
  };

  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`Server did not listen within ${START_TIMEOUT_MS} ms:\n${stderr}`));
    }, START_TIMEOUT_MS);

    child.stderr.on('data', (text: string) => {
      stderr += text;
      const url = TEXT_URL.exec(stderr)?.[1] ?? JSON_URL.exec(stderr)?.[1];
      if (url === undefined) return;

      clearTimeout(timer);
      const waitForLog = async (pattern: RegExp, limitMs = 10_000) => {
        const deadline = Date.now() + limitMs;
        while (!pattern.test(stderr)) {
          if (Date.now() > deadline) throw new Error(`No log line matched ${pattern}:\n${stderr}`);
          await new Promise((resolveWait) => setTimeout(resolveWait, 20));
        }

        return stderr;
      };
      resolveStart({ url, process: child, stop, kill, logs: () => stderr, waitForLog });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`Server exited with ${code} before listening:\n${stderr}`));
    });
  });
}

/** Runs the real CLI to completion and returns its exit code and output. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await runCliProcess(args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    input: stdin,
  });

  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
