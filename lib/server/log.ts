/**
 * The server's log on stderr: plain lines by default, one JSON object per line when
 * ATSAUTH_LOG_JSONFORMAT=true. Lines are buffered for one turn of the event loop and
 * written together, so that a busy server makes one write call per batch of requests,
 * not one per request. Callers pass no token, Authorization value, password or secret.
 */

import type { Writable } from 'node:stream';

import { AtsAuthError } from '../errors.ts';

export type LogFields = Record<string, string | number | boolean | undefined>;

/** The fields of one request log line. */
export interface RequestLogEntry {
  method: string;
  /** The path without its query string, which may carry credentials. */
  path: string;
  status: number;
  durationMs: number;
  /** The authenticated caller, or the user a successful login was for, when known. */
  user: string | undefined;
  /** The user whose tokens a logout_all request revokes, when it names one. */
  target?: string | undefined;
  remoteAddress: string | undefined;
}

export interface ServerLog {
  info(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  error(message: string, error?: unknown): void;
  request(entry: RequestLogEntry): void;
  /** Writes buffered lines now; call before the process exits. */
  flush(): void;
}

export interface ServerLogOptions {
  json: boolean;
  stream: Writable;
}

// Printable ASCII without space or quote is shown as is. Anything else is JSON-quoted, so
// a crafted path or user name cannot forge a second log line.
const PLAIN_TEXT = /^[\x21\x23-\x7e]*$/;

function quoteIfNeeded(text: string): string {
  return PLAIN_TEXT.test(text) ? text : JSON.stringify(text);
}

// A stack trace is logged at most once a minute per place in the code that threw, so that
// clients repeating a request that fails cannot fill the log with stack traces.
const STACK_INTERVAL_MS = 60_000;
const MAX_STACK_SITES = 1000;

// An AtsAuthError is an expected failure with a complete message, so it is logged without a
// stack trace.
function describeError(error: unknown): { text: string; stack: string | undefined } {
  if (!(error instanceof Error)) return { text: String(error), stack: undefined };

  const stack = error instanceof AtsAuthError ? undefined : error.stack;

  return { text: `${error.name}: ${error.message}`, stack };
}

/** Returns the frames of `stack` without its message, which may differ between throws. */
function throwSiteOf(stack: string): string {
  const frames = stack.indexOf('\n    at ');

  return frames < 0 ? stack : stack.slice(frames);
}

/** Creates a server log writing to `options.stream`. */
export function createServerLog(options: ServerLogOptions): ServerLog {
  const stackLoggedMs = new Map<string, number>();
  const isStackDue = (stack: string) => {
    const site = throwSiteOf(stack);
    const nowMs = performance.now();
    const lastMs = stackLoggedMs.get(site);
    if (lastMs !== undefined && nowMs - lastMs < STACK_INTERVAL_MS) return false;

    stackLoggedMs.delete(site);
    stackLoggedMs.set(site, nowMs);
    if (stackLoggedMs.size > MAX_STACK_SITES) {
      const oldest = stackLoggedMs.keys().next();
      if (oldest.done !== true) stackLoggedMs.delete(oldest.value);
    }

    return true;
  };

  let pending: string[] = [];
  let scheduled: NodeJS.Immediate | undefined;

  const flush = () => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    if (pending.length === 0) return;

    const text = pending.join('');
    pending = [];
    options.stream.write(text);
  };
  const write = (line: string) => {
    pending.push(`${line}\n`);
    scheduled ??= setImmediate(flush);
  };
  const record = (level: string, message: string, fields: LogFields = {}) => {
    if (options.json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }));
    } else {
      write(level === 'info' ? message : `${level}: ${message}`);
    }
  };

  return {
    info: (message, fields) => record('info', message, fields),
    warning: (message, fields) => record('warning', message, fields),
    error: (message, error) => {
      const described = error === undefined ? undefined : describeError(error);
      const due = described?.stack !== undefined && isStackDue(described.stack);
      const stack = due ? described?.stack : undefined;
      if (options.json || described === undefined) {
        record('error', message, { error: described?.text, stack });
      } else if (stack !== undefined) {
        record('error', `${message}: ${stack}`);
      } else {
        const omitted = described.stack === undefined ? '' : ' (stack trace logged earlier)';
        record('error', `${message}: ${described.text}${omitted}`);
      }
    },
    request: (entry) => {
      const durationMs = Math.round(entry.durationMs * 100) / 100;
      if (options.json) {
        record('info', 'request', { ...entry, durationMs });
        return;
      }

      const user = entry.user === undefined ? '' : ` user=${quoteIfNeeded(entry.user)}`;
      const target = entry.target === undefined ? '' : ` target=${quoteIfNeeded(entry.target)}`;
      const from = entry.remoteAddress === undefined ? '' : ` from=${entry.remoteAddress}`;
      const path = quoteIfNeeded(entry.path);
      write(`${entry.method} ${path} ${entry.status} ${durationMs} ms${user}${target}${from}`);
    },
    flush,
  };
}
