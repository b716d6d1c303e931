/**
 * Opens the server's SQLite database: WAL journal, synchronous=FULL so that a committed
 * transaction survives a crash or power loss, a busy timeout, and the schema migrated to
 * the current version. SQLite failures become AtsAuthError ERR_STORE messages that name
 * the file and what to do about it (store-errors.ts).
 */

import { accessSync, closeSync, constants, existsSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';

import { AtsAuthError } from '../errors.ts';
import { assertCurrentSchema, migrateSchema } from './schema.ts';
import {
  SQLITE_CANTOPEN,
  corruptDatabaseError,
  explainNotAFile,
  sqliteCodeOf,
  toStoreError,
} from './store-errors.ts';

export { isCorruptionError, isSqliteError, toStoreError } from './store-errors.ts';

/** Database path used when ATSAUTH_DB is not set. */
export const DEFAULT_DB_PATH = './ats-auth.db';

export interface OpenDatabaseOptions {
  /** How long a statement waits for another process's lock before failing, in ms. */
  busyTimeoutMs: number;
  /**
   * Opens without write access, for commands that only read: no file is created, the
   * schema is checked but not migrated, and a database in a read-only directory opens.
   */
  readOnly?: boolean;
}

/** An open database together with the absolute path it was opened from, for messages. */
export interface Store {
  db: DatabaseSync;
  path: string;
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

function isWritableDirectory(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens `path` without write access. Reading a WAL database needs its -shm file, which a
 * read-only directory cannot hold, so there the file opens as immutable. That is safe as
 * long as the directory stays read-only, because no SQLite writer can commit to a
 * database without creating its -wal or -journal file beside it.
 */
function openReadOnly(path: string, timeoutMs: number): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true, timeout: timeoutMs });
    readPragma(db, 'user_version');

    return db;
  } catch (error) {
    if (db?.isOpen === true) db.close();
    const canOpenImmutable =
      sqliteCodeOf(error) === SQLITE_CANTOPEN &&
      existsSync(path) &&
      !existsSync(`${path}-wal`) &&
      !isWritableDirectory(dirname(path));
    if (!canOpenImmutable) throw error;
  }

  const url = pathToFileURL(path);
  url.searchParams.set('immutable', '1');

  return new DatabaseSync(url, { readOnly: true });
}

/**
 * Opens or creates the database at `path`, configures the connection and migrates the
 * schema. With `readOnly`, it opens an existing database at the current schema for reading
 * only. Throws AtsAuthError ERR_STORE with the path and the fix when that fails.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions): Store {
  const absolutePath = resolve(path);
  const notAFile = explainNotAFile(absolutePath);
  if (notAFile !== undefined) throw new AtsAuthError('ERR_STORE', notAFile);
  let db: DatabaseSync | undefined;
  try {
    if (options.readOnly === true) {
      db = openReadOnly(absolutePath, options.busyTimeoutMs);
      assertCurrentSchema(db, absolutePath);
    } else {
      createPrivateFile(absolutePath);
      db = new DatabaseSync(absolutePath, { timeout: options.busyTimeoutMs });
      configureConnection(db, absolutePath);
      migrateSchema(db, absolutePath);
    }

    return { db, path: absolutePath };
  } catch (error) {
    if (db?.isOpen === true) db.close();

    throw toStoreError(error, absolutePath);
  }
}

/**
 * Runs PRAGMA quick_check, which reads every page of the database but skips the index
 * cross-checks of integrity_check, and throws ERR_STORE naming the first problem found.
 */
export function checkIntegrity(store: Store): void {
  let results: unknown[];
  try {
    results = store.db.prepare('PRAGMA quick_check').all().map((row) => Object.values(row)[0]);
  } catch (error) {
    throw toStoreError(error, store.path);
  }

  const problem = results.find((result) => result !== 'ok');
  if (problem === undefined) return;

  // A problem reads "*** in database main ***\nTree 2 page 2 cell 0: ...": keep the last line.
  throw corruptDatabaseError(store.path, String(problem).split('\n').at(-1) ?? '');
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
