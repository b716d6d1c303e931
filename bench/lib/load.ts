/**
 * HTTP/1.1 keep-alive load generators for servers on 127.0.0.1: wrk when it is installed,
 * and a dependency-free one on raw sockets otherwise. Both run a closed loop: each
 * connection sends a request, waits for the whole response, then sends the next. Both
 * stop at a deadline; the socket one also stops after a maximum number of requests.
 */

import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

import { percentile } from './stats.ts';

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
}

export interface LoadResult {
  /** Responses received with the expected status. */
  completed: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface SocketLoadOptions {
  port: number;
  connections: number;
  durationMs: number;
  /** Total requests after which the run stops even when time remains. */
  maxRequests: number;
  /** Returns the bytes of request number `index`, counting from 0 across connections. */
  request: (index: number) => Buffer;
  expectedStatus: number;
}

/** Serializes `request` for a server on 127.0.0.1:`port`. */
export function formatRequest(request: HttpRequest, port: number): string {
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    lines.push(`${name}: ${value}`);
  }
  if (request.body !== undefined) {
    lines.push('Content-Type: application/json');
    lines.push(`Content-Length: ${Buffer.byteLength(request.body)}`);
  }

  return `${lines.join('\r\n')}\r\n\r\n${request.body ?? ''}`;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked/i;
// Responses that cannot carry a body (RFC 9112, section 6.3).
const NO_BODY_STATUS = new Set([204, 304]);

/** The parts of a response head the generator needs. */
interface ResponseHead {
  status: number;
  /** Bytes from the start of the response to the end of its body. */
  totalLength: number;
}

/** Parses the head at the start of `buffer`, or returns undefined until all of it arrived. */
function parseHead(buffer: Buffer): ResponseHead | undefined {
  const end = buffer.indexOf(HEADER_END);
  if (end < 0) return undefined;

  const head = buffer.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  if (CHUNKED.test(head)) throw new Error('Chunked responses are not supported by this client');

  const declared = CONTENT_LENGTH.exec(head)?.[1];
  const bodyLength = NO_BODY_STATUS.has(status) || declared === undefined ? 0 : Number(declared);

  return { status, totalLength: end + HEADER_END.length + bodyLength };
}

function openConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Shared state of one run across its connections. */
interface Run {
  options: SocketLoadOptions;
  deadline: number;
  issued: number;
  latencies: Float64Array;
  completed: number;
  unexpected: string[];
}

/** Drives one connection until the run ends; resolves when it is done. */
function driveConnection(run: Run, socket: Socket): Promise<void> {
  let pending: Buffer | undefined;
  let sentAt = 0;

  const sendNext = (): boolean => {
    if (performance.now() >= run.deadline || run.issued >= run.options.maxRequests) return false;

    const bytes = run.options.request(run.issued++);
    sentAt = performance.now();
    socket.write(bytes);
    return true;
  };

  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      socket.removeAllListeners('data');
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };

    socket.on('data', (chunk: Buffer) => {
      pending = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      let head: ResponseHead | undefined;
      try {
        head = parseHead(pending);
      } catch (error) {
        finish(error as Error);
        return;
      }
      if (head === undefined || pending.length < head.totalLength) return;

      const latency = performance.now() - sentAt;
      if (head.status === run.options.expectedStatus) {
        run.latencies[run.completed++] = latency;
      } else if (run.unexpected.length < 5) {
        run.unexpected.push(pending.toString('latin1', 0, Math.min(pending.length, 300)));
      }
      const rest = pending.subarray(head.totalLength);
      pending = rest.length === 0 ? undefined : rest;
      if (!sendNext()) finish();
    });
    socket.once('error', finish);
    socket.once('close', () => finish(new Error('The server closed a keep-alive connection')));

    if (!sendNext()) finish();
  });
}

/**
 * Runs a closed-loop load on 127.0.0.1:`options.port` with raw sockets. Connections are
 * opened before the clock starts. Throws when a connection fails or any response has
 * another status than the expected one, so that a benchmark never reports errors as speed.
 */
export async function runSocketLoad(options: SocketLoadOptions): Promise<LoadResult> {
  const sockets = await Promise.all(
    Array.from({ length: options.connections }, () => openConnection(options.port)),
  );
  const start = performance.now();
  const run: Run = {
    options,
    deadline: start + options.durationMs,
    issued: 0,
    latencies: new Float64Array(options.maxRequests),
    completed: 0,
    unexpected: [],
  };

  // A server that stops responding must not hang the benchmark.
  const watchdog = setTimeout(() => {
    for (const socket of sockets) socket.destroy(new Error('No response within 30 s'));
  }, options.durationMs + 30_000);
  try {
    await Promise.all(sockets.map((socket) => driveConnection(run, socket)));
  } finally {
    clearTimeout(watchdog);
  }

  if (run.unexpected.length > 0) {
    const first = run.unexpected[0];
    throw new Error(`Unexpected response, expected status ${options.expectedStatus}:\n${first}`);
  }

  const seconds = (performance.now() - start) / 1000;
  const latencies = run.latencies.subarray(0, run.completed);

  return {
    completed: run.completed,
    seconds,
    perSecond: run.completed / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

export interface WrkOptions {
  port: number;
  connections: number;
  durationSeconds: number;
  /** Requests sent in turn; printable ASCII only. */
  requests: readonly HttpRequest[];
}

function luaScript(requests: readonly string[]): string {
  // JSON string literals of printable ASCII with \r and \n escapes are valid Lua strings.
  const literals = requests.map((request) => JSON.stringify(request)).join(',\n');

  return `local requests = {\n${literals}\n}
local index = 0
request = function()
  index = index % #requests + 1
  return requests[index]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"p50Us":%f,"p99Us":%f,' ..
      '"statusErrors":%d,"socketErrors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
`;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  statusErrors: number;
  socketErrors: number;
}

function runProcess(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Runs wrk with one thread against 127.0.0.1:`options.port`, sending `options.requests`
 * in turn. Throws when wrk reports a socket error or a status of 400 or more.
 */
export async function runWrk(options: WrkOptions): Promise<LoadResult> {
  const scratch = mkdtempSync(join(os.tmpdir(), 'ats-auth-wrk-'));
  try {
    const script = join(scratch, 'requests.lua');
    const raw = options.requests.map((request) => formatRequest(request, options.port));
    if (raw.some((text) => !/^[\x20-\x7e\r\n]*$/.test(text))) {
      throw new TypeError('wrk requests must be printable ASCII');
    }
    writeFileSync(script, luaScript(raw));

    const args = [
      '-t1',
      `-c${options.connections}`,
      `-d${options.durationSeconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      `http://127.0.0.1:${options.port}/`,
    ];
    const output = await runProcess('wrk', args, (options.durationSeconds + 30) * 1000);
    const json = /^BENCH_RESULT (.*)$/m.exec(output)?.[1];
    if (json === undefined) throw new Error(`No result in the output of wrk:\n${output}`);

    const summary = JSON.parse(json) as WrkSummary;
    if (summary.statusErrors > 0 || summary.socketErrors > 0) {
      const { statusErrors, socketErrors } = summary;
      throw new Error(`wrk got ${statusErrors} error statuses and ${socketErrors} socket errors`);
    }

    const seconds = summary.durationUs / 1e6;

    return {
      completed: summary.requests,
      seconds,
      perSecond: summary.requests / seconds,
      p50Ms: summary.p50Us / 1000,
      p99Ms: summary.p99Us / 1000,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
