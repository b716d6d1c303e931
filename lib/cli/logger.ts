/**
 * The CLI's logger, modelled on cliff: records go to stderr at the console level chosen by
 * -v and -q, and every record, debug included, is appended to --log-file when given.
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

import { maskTokens } from '../client/redact.ts';
import { AtsAuthError } from '../errors.ts';
import { escapeForTerminal } from '../format/terminal.ts';
import { describeSystemError } from '../system-errors.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const LEVEL_RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Writes a trace line to the console whatever the level, and to the log file. */
  trace(message: string): void;
  /** Registers a value that every later record shows as `***`. */
  addSecret(value: string): void;
  /** Whether debug records reach the console or the file, to skip costly messages. */
  readonly isDebugEnabled: boolean;
}

export interface LoggerOptions {
  /** -1 for -q, 0 by default, 1 or more for each -v. */
  verbosity: number;
  stderr: Writable;
  logFile?: string;
  name?: string;
}

function consoleThreshold(verbosity: number): number {
  if (verbosity < 0) return LEVEL_RANK.WARNING;
  if (verbosity === 0) return LEVEL_RANK.INFO;

  return LEVEL_RANK.DEBUG;
}

/** Formats a time as Python's logging does: `2026-12-04 15:12:51,236`, local time. */
export function formatLogTime(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;

  return `${day} ${time},${pad(date.getMilliseconds(), 3)}`;
}

/** Opens the log file for appending, owner-only when created; names the file on failure. */
function openLogFile(path: string): number {
  try {
    return openSync(path, 'a', 0o600);
  } catch (error) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Cannot open log file ${path}: ${describeSystemError(error)}; pass a writable file to --log-file`,
      { cause: error },
    );
  }
}

/** Creates a logger writing to stderr and, when `logFile` is set, appending to that file. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = consoleThreshold(options.verbosity);
  const name = options.name ?? 'ats-auth';

  const secrets = new Set<string>();
  const mask = (message: string) => {
    let masked = message;
    for (const secret of secrets) masked = masked.replaceAll(secret, '***');
    return masked;
  };

  let logFd = options.logFile === undefined ? undefined : openLogFile(options.logFile);

  const write = (level: LogLevel, text: string, force = false) => {
    // Records may quote the command line, token claims or server messages: no token and
    // no control sequence gets through.
    const message = escapeForTerminal(maskTokens(mask(text)));
    if (force || LEVEL_RANK[level] >= threshold) options.stderr.write(`${message}\n`);
    if (logFd === undefined) return;

    const line = `[${formatLogTime(new Date())}] ${level.padEnd(8)} ${name} ${message}\n`;
    try {
      writeSync(logFd, line);
    } catch (error) {
      // The run goes on without its log file rather than failing for it.
      closeSync(logFd);
      logFd = undefined;
      options.stderr.write(
        `Cannot write to log file ${options.logFile}: ${describeSystemError(error)}; it gets no more records\n`,
      );
    }
  };

  return {
    debug: (message) => write('DEBUG', message),
    info: (message) => write('INFO', message),
    warning: (message) => write('WARNING', message),
    error: (message) => write('ERROR', message),
    trace: (message) => write('DEBUG', message, true),
    addSecret: (value) => {
      // Very short values would mask ordinary words; they are still never logged directly.
      if (value.length >= 4) secrets.add(value);
    },
    isDebugEnabled: threshold <= LEVEL_RANK.DEBUG || options.logFile !== undefined,
  };
}
