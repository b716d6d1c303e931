/**
 * The database schema and its migrations. `PRAGMA user_version` contains the number of
 * migrations applied; `PRAGMA application_id` marks the file as an ats-auth database, so
 * that ATSAUTH_DB pointing at some other SQLite file is an error instead of a silent merge.
 */

import type { DatabaseSync } from 'node:sqlite';

import { AtsAuthError } from '../errors.ts';

/** "ATSA" in ASCII, stored in the database header. */
export const APPLICATION_ID = 0x41545341;

/**
 * Migrations in order; entry N moves the schema from version N to N + 1. Append only:
 * a released migration never changes, because databases already ran it.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at_us INTEGER NOT NULL
  ) STRICT;

  -- One row per revoked token, keyed by its jti or by "sha256:" and the token's hash.
  CREATE TABLE revoked_tokens (
    token_key TEXT PRIMARY KEY,
    expires_at_us INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at_us);

  -- Tokens of the user with "iat" at or before not_before_us are revoked. Kept apart from
  -- users so that removing a user keeps the revocation of the tokens already issued.
  CREATE TABLE user_not_before (
    name TEXT PRIMARY KEY,
    not_before_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL
  ) STRICT;

  -- Integer settings that must survive restarts, such as clock high-water marks.
  CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) STRICT;
  `,
];

/** Number of the newest schema this code supports. */
export const SCHEMA_VERSION = MIGRATIONS.length;

function readInteger(db: DatabaseSync, pragma: string): number {
  const row = db.prepare(`PRAGMA ${pragma}`).get();
  const value = row === undefined ? undefined : Object.values(row)[0];
  if (typeof value !== 'number') throw new TypeError(`PRAGMA ${pragma} returned no integer`);

  return value;
}

function hasTables(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1").get() !== undefined;
}

function checkOwnership(db: DatabaseSync, path: string, version: number): void {
  const applicationId = readInteger(db, 'application_id');
  if (applicationId === APPLICATION_ID) return;
  if (applicationId === 0 && version === 0 && !hasTables(db)) return;

  throw new AtsAuthError(
    'ERR_STORE',
    `Not an ats-auth database: ${path}: it is an SQLite file with other content; ` +
      'set ATSAUTH_DB to another path',
  );
}

function checkVersion(path: string, version: number): void {
  if (version <= SCHEMA_VERSION) return;

  throw new AtsAuthError(
    'ERR_STORE',
    `Database schema is too new: ${path}: version ${version}, this ats-auth knows up to ` +
      `${SCHEMA_VERSION}; run a newer ats-auth`,
  );
}

/**
 * Throws AtsAuthError unless the database is an ats-auth database at SCHEMA_VERSION. For
 * connections that may not write, so they cannot migrate an older schema.
 */
export function assertCurrentSchema(db: DatabaseSync, path: string): void {
  const version = readInteger(db, 'user_version');
  checkOwnership(db, path, version);
  checkVersion(path, version);
  if (version === SCHEMA_VERSION) return;

  throw new AtsAuthError(
    'ERR_STORE',
    `Database schema is older than this ats-auth: ${path}: version ${version}, expected ` +
      `${SCHEMA_VERSION}; start the server or run "user add" on it once to upgrade it`,
  );
}

/**
 * Brings the schema up to SCHEMA_VERSION inside one IMMEDIATE transaction, so that two
 * processes starting together migrate once. Throws AtsAuthError for a foreign or newer file.
 */
export function migrateSchema(db: DatabaseSync, path: string): void {
  const seen = readInteger(db, 'user_version');
  checkOwnership(db, path, seen);
  checkVersion(path, seen);
  if (seen === SCHEMA_VERSION) return;

  db.exec('BEGIN IMMEDIATE');
  try {
    // Read again under the write lock: another process may have migrated meanwhile.
    const version = readInteger(db, 'user_version');
    checkVersion(path, version);
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);

    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    try {
      if (db.isTransaction) db.exec('ROLLBACK');
    } catch {
      // The original error explains more than a failed rollback after it.
    }

    throw error;
  }
}
