/**
 * SQLite and file system failures on the database, turned into AtsAuthError ERR_STORE
 * messages that name the file, what went wrong in plain words and what to do about it.
 */

import { accessSync, constants, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';

import { AtsAuthError } from '../errors.ts';

interface Problem {
  problem: string;
  fix: (path: string) => string;
}

// SQLite primary result codes (https://www.sqlite.org/rescode.html) mapped to what went
// wrong and what to do. Extended codes keep the primary code in their low 8 bits.
const LOCKED: Problem = {
  problem: 'Database is locked',
  fix: () => 'another process holds a lock on it; stop that process or retry',
};
const READ_ONLY: Problem = {
  problem: 'Database is read-only',
  fix: () => 'make the file, its -wal and -shm files and its directory writable by this user',
};
const CORRUPT: Problem = {
  problem: 'Database file is corrupt',
  fix: (path) =>
    'restore it from a backup, or stop the server and salvage the readable rows with ' +
    `"sqlite3 ${path} .recover | sqlite3 ${path}.recovered", then move ${path}.recovered ` +
    'into its place',
};
const NOT_A_DATABASE: Problem = {
  problem: 'Database file is corrupt or not an SQLite database',
  fix: () => 'restore it from a backup, or move it away to start with an empty database',
};
const SQLITE_PROBLEMS = new Map<number, Problem>([
  [3, READ_ONLY], // SQLITE_PERM
  [5, LOCKED], // SQLITE_BUSY
  [6, LOCKED], // SQLITE_LOCKED
  [7, { problem: 'Out of memory while using the database', fix: () => 'free some memory' }],
  [8, READ_ONLY], // SQLITE_READONLY
  [10, { problem: 'I/O error on the database', fix: () => 'check the disk and the file system' }],
  [11, CORRUPT], // SQLITE_CORRUPT
  [13, { problem: 'Disk full while writing the database', fix: () => 'free some space and retry' }],
  [26, NOT_A_DATABASE], // SQLITE_NOTADB
]);

export const SQLITE_CANTOPEN = 14;

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Returns why `path` cannot hold a database although it exists, such as a directory or
 * /dev/null, or undefined for a regular file or a missing path. SQLite would report these
 * only as an I/O error or an empty schema.
 */
export function explainNotAFile(path: string): string | undefined {
  const stats = statOrUndefined(path);
  if (stats === undefined || stats.isFile()) return undefined;
  if (stats.isDirectory()) {
    return (
      `Database path is a directory: ${path}: set ATSAUTH_DB to a file path, such as ` +
      join(path, 'ats-auth.db')
    );
  }

  return `Database path is not a regular file: ${path}: set ATSAUTH_DB to a file path`;
}

/** Finds out from the file system why SQLite could not open `path` (SQLITE_CANTOPEN). */
function explainCantOpen(path: string): string {
  const notAFile = explainNotAFile(path);
  if (notAFile !== undefined) return notAFile;

  const directory = dirname(path);
  const directoryStats = statOrUndefined(directory);
  if (directoryStats === undefined) {
    return (
      `Cannot open the database: ${path}: no such directory: ${directory}: create it, or ` +
      'set ATSAUTH_DB to a path in an existing directory'
    );
  }
  if (!directoryStats.isDirectory()) {
    return `Cannot open the database: ${path}: ${directory} is not a directory: fix ATSAUTH_DB`;
  }

  try {
    const exists = statOrUndefined(path) !== undefined;
    accessSync(exists ? path : directory, constants.R_OK | constants.W_OK);
  } catch {
    return (
      `Cannot open the database: ${path}: permission denied: make the file and its ` +
      'directory readable and writable by this user'
    );
  }

  return (
    `Cannot open the database: ${path}: check that this user may read and write the file, ` +
    'its -wal and -shm files and its directory'
  );
}

// node:sqlite sets errcode on its errors; the message is the fallback for any that lack it.
export function sqliteCodeOf(error: unknown): number | undefined {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  if (typeof errcode === 'number') return errcode & 0xff;

  const message = error instanceof Error ? error.message : '';
  if (message.includes('database disk image is malformed')) return 11;
  if (message.includes('file is not a database')) return 26;

  return undefined;
}

/** Returns whether `error` is SQLite reporting a damaged database or a file not SQLite. */
export function isCorruptionError(error: unknown): boolean {
  const code = sqliteCodeOf(error);

  return code === 11 || code === 26;
}

/**
 * Converts an error thrown by node:sqlite into an AtsAuthError ERR_STORE that names `path`
 * and the fix. AtsAuthErrors pass through unchanged.
 */
export function toStoreError(error: unknown, path: string): AtsAuthError {
  if (error instanceof AtsAuthError) return error;

  const code = sqliteCodeOf(error);
  if (code === SQLITE_CANTOPEN) {
    return new AtsAuthError('ERR_STORE', explainCantOpen(path), { cause: error });
  }

  const known = code === undefined ? undefined : SQLITE_PROBLEMS.get(code);
  if (known !== undefined) {
    return new AtsAuthError('ERR_STORE', `${known.problem}: ${path}: ${known.fix(path)}`, {
      cause: error,
    });
  }

  const errstr = (error as { errstr?: unknown } | null)?.errstr;
  const detail = typeof errstr === 'string' ? errstr : (error as Error | null)?.message;

  return new AtsAuthError('ERR_STORE', `Database error on ${path}: ${detail ?? String(error)}`, {
    cause: error,
  });
}

/**
 * Returns the ERR_STORE error for a damaged database at `path`, with `detail` from
 * SQLite, such as the first problem PRAGMA quick_check found.
 */
export function corruptDatabaseError(path: string, detail: string): AtsAuthError {
  const quoted = JSON.stringify(detail.length > 200 ? `${detail.slice(0, 200)}...` : detail);

  return new AtsAuthError(
    'ERR_STORE',
    `${CORRUPT.problem} (SQLite reports ${quoted}): ${path}: ${CORRUPT.fix(path)}`,
  );
}

/** Returns whether `error` was thrown by node:sqlite. */
export function isSqliteError(error: unknown): boolean {
  const { code, errcode } = (error ?? {}) as { code?: unknown; errcode?: unknown };

  return code === 'ERR_SQLITE_ERROR' || typeof errcode === 'number';
}
