/**
 * Opens the server's SQLite database: WAL journal, synchronous=FULL so that a committed
 * transaction survives a crash or power loss, a busy timeout, and the schema migrated to
 * the current version. SQLite failures become AtsAuthError ERR_STORE messages that name
 * the file and what to do about it.
 */

import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { AtsAuthError } from '../errors.ts';
import { migrateSchema } from './schema.ts';

/** Database path used when ATSAUTH_DB is not set. */
export const DEFAULT_DB_PATH = './ats-auth.db';

export interface OpenDatabaseOptions {
  /** How long a statement waits for another process's lock before failing, in ms. */
  busyTimeoutMs: number;
}

/** An open database together with the absolute path it was opened from, for messages. */
export interface Store {
  db: DatabaseSync;
  path: string;
}

// SQLite primary result codes (https://www.sqlite.org/rescode.html) mapped to what went
// wrong and what to do. Extended codes keep the primary code in their low 8 bits.
const LOCKED = {
  problem: 'Database is locked',
  fix: 'another process holds a lock on it; stop that process or retry',
};
const READ_ONLY = {
  problem: 'Database is read-only',
  fix: 'make the file, its -wal and -shm files and its directory writable by this user',
};
const CORRUPT = {
  problem: 'Database file is corrupt or not an SQLite database',
  fix: 'restore it from a backup, or move it away to start with an empty database',
};
const SQLITE_PROBLEMS = new Map<number, { problem: string; fix: string }>([
  [3, READ_ONLY], // SQLITE_PERM
  [5, LOCKED], // SQLITE_BUSY
  [6, LOCKED], // SQLITE_LOCKED
  [7, { problem: 'Out of memory while using the database', fix: 'free some memory' }],
  [8, READ_ONLY], // SQLITE_READONLY
  [10, { problem: 'I/O error on the database', fix: 'check the disk and the file system' }],
  [11, CORRUPT], // SQLITE_CORRUPT
  [13, { problem: 'Disk full while writing the database', fix: 'free some space and retry' }],
  [
    14, // SQLITE_CANTOPEN
    {
      problem: 'Cannot open the database',
      fix: 'check that the directory exists and that this user may read and write there',
    },
  ],
  [26, CORRUPT], // SQLITE_NOTADB
]);

/**
 * Converts an error thrown by node:sqlite into an AtsAuthError ERR_STORE that names `path`
 * and the fix. AtsAuthErrors pass through unchanged.
 */
export function toStoreError(error: unknown, path: string): AtsAuthError {
  if (error instanceof AtsAuthError) return error;

  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  const errstr = (error as { errstr?: unknown } | null)?.errstr;
  const known = typeof errcode === 'number' ? SQLITE_PROBLEMS.get(errcode & 0xff) : undefined;
  if (known !== undefined) {
    return new AtsAuthError('ERR_STORE', `${known.problem}: ${path}: ${known.fix}`, {
      cause: error,
    });
  }

  const detail = typeof errstr === 'string' ? errstr : (error as Error | null)?.message;

  return new AtsAuthError('ERR_STORE', `Database error on ${path}: ${detail ?? String(error)}`, {
    cause: error,
  });
}

function readPragma(db: DatabaseSync, name: string): unknown {
  const row = db.prepare(`PRAGMA ${name}`).get();

  return row === undefined ? undefined : Object.values(row)[0];
}

function configureConnection(db: DatabaseSync, path: string): void {
  const mode = readPragma(db, 'journal_mode = WAL');
  if (mode !== 'wal') {
    throw new AtsAuthError(
      'ERR_STORE',
      `Cannot use write-ahead logging on the database: ${path}: SQLite kept the journal mode ` +
        `${String(mode)}; put the database on a local file system that supports shared memory`,
    );
  }

  // FULL syncs the WAL on every commit, so a response sent after a commit survives power loss.
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
}

/** Creates an empty file readable by its owner only, as it will hold password hashes. */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch {
    // An existing file keeps its mode; any other failure shows again when SQLite opens it.
  }
}

/**
 * Opens or creates the database at `path`, configures the connection and migrates the
 * schema. Throws AtsAuthError ERR_STORE with the path and the fix when that fails.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions): Store {
  const absolutePath = resolve(path);
  let db: DatabaseSync | undefined;
  try {
    createPrivateFile(absolutePath);
    db = new DatabaseSync(absolutePath, { timeout: options.busyTimeoutMs });
    configureConnection(db, absolutePath);
    migrateSchema(db, absolutePath);

    return { db, path: absolutePath };
  } catch (error) {
    if (db?.isOpen === true) db.close();

    throw toStoreError(error, absolutePath);
  }
}

/** Rolls back an open transaction, ignoring a failure because the caller reports its own. */
export function rollBack(db: DatabaseSync): void {
  if (!db.isTransaction) return;

  try {
    db.exec('ROLLBACK');
  } catch {
    // SQLite has already rolled back when COMMIT failed with an I/O or full-disk error.
  }
}

/**
 * Runs `work` inside one IMMEDIATE transaction, so that it takes the write lock up front
 * and waits the busy timeout for it instead of failing halfway. Rolls back on any error.
 */
export function runTransaction<T>(store: Store, work: () => T): T {
  try {
    store.db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    throw toStoreError(error, store.path);
  }

  try {
    const result = work();
    store.db.exec('COMMIT');

    return result;
  } catch (error) {
    rollBack(store.db);

    throw toStoreError(error, store.path);
  }
}
