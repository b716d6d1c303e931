/**
 * The users table: name, Argon2id PHC string and admin flag. User names end up in the
 * "sub" claim, in the X-Auth-UserId header and in logs, so they are restricted to
 * characters that are safe in all three.
 */

import type { DatabaseSync, StatementSync } from 'node:sqlite';

import { AtsAuthError } from '../errors.ts';

/** Letters, digits and `. _ @ + -`, starting with a letter or digit, at most 128 long. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

const MAX_USERNAME_LENGTH = 128;
const RULE = 'use 1 to 128 ASCII letters, digits or . _ @ + -, starting with a letter or digit';

export interface UserRecord {
  name: string;
  /** Argon2id PHC string. */
  passwordHash: string;
  isAdmin: boolean;
}

/** Returns whether `name` is a valid user name. */
export function isValidUsername(name: unknown): name is string {
  return typeof name === 'string' && USERNAME_PATTERN.test(name);
}

/** Returns which rule `name` breaks, most specific first, for an error message. */
function describeInvalidName(name: string): string {
  if (name === '') return 'it is empty';
  if (name.length > MAX_USERNAME_LENGTH) return `it is longer than ${MAX_USERNAME_LENGTH} characters`;
  if (/[\p{Cc}\p{Cf}]/u.test(name)) return 'it contains a control or formatting character';
  if (name.trim() !== name) return 'it starts or ends with white space';

  return 'it contains a character other than ASCII letters, digits and . _ @ + -';
}

/** Throws ERR_USAGE naming the value and the rule unless `name` is a valid user name. */
export function assertValidUsername(name: string): void {
  if (USERNAME_PATTERN.test(name)) return;

  const quoted = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);
  throw new AtsAuthError(
    'ERR_USAGE',
    `Invalid user name ${quoted}: ${describeInvalidName(name)}; ${RULE}`,
  );
}

/**
 * Returns the form under which two user names count as the same: Unicode NFKC, then lower
 * case. "admin", "Admin" and "ADMIN" share one form, so they cannot be three users.
 */
export function foldUsername(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/** Returns the ERR_CONFLICT error for adding `name` while the user `existing` exists. */
export function nameTakenError(name: string, existing: string): AtsAuthError {
  if (existing === name) {
    return new AtsAuthError(
      'ERR_CONFLICT',
      `User ${name} already exists: use "user passwd ${name}" to change the password`,
    );
  }

  return new AtsAuthError(
    'ERR_CONFLICT',
    `User name ${name} clashes with the existing user ${existing}: names that differ only ` +
      'in case or Unicode form count as the same; choose another name',
  );
}

function toUserRecord(row: unknown): UserRecord | undefined {
  if (row === undefined || row === null || typeof row !== 'object') return undefined;

  const { name, password_hash: passwordHash, is_admin: isAdmin } = row as Record<string, unknown>;
  if (typeof name !== 'string' || typeof passwordHash !== 'string') return undefined;

  return { name, passwordHash, isAdmin: isAdmin === 1 };
}

/** Prepared statements on the users table of one connection. */
export class UserStore {
  readonly #select: StatementSync;
  readonly #selectAll: StatementSync;
  readonly #selectNames: StatementSync;
  readonly #insert: StatementSync;
  readonly #updateHash: StatementSync;
  readonly #delete: StatementSync;

  constructor(db: DatabaseSync) {
    this.#select = db.prepare('SELECT name, password_hash, is_admin FROM users WHERE name = ?');
    this.#selectAll = db.prepare('SELECT name, password_hash, is_admin FROM users ORDER BY name');
    this.#selectNames = db.prepare('SELECT name FROM users');
    this.#insert = db.prepare(
      'INSERT INTO users (name, password_hash, is_admin, created_at_us) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (name) DO NOTHING',
    );
    this.#updateHash = db.prepare('UPDATE users SET password_hash = ? WHERE name = ?');
    this.#delete = db.prepare('DELETE FROM users WHERE name = ?');
  }

  /** Returns the user called `name`, or undefined when there is none. */
  find(name: string): UserRecord | undefined {
    return toUserRecord(this.#select.get(name));
  }

  /** Returns every user, sorted by name. */
  list(): UserRecord[] {
    return this.#selectAll.all().flatMap((row) => toUserRecord(row) ?? []);
  }

  /**
   * Returns `name` when that user exists, or else the name of a user whose name folds to
   * the same form, or undefined.
   */
  findSimilarName(name: string): string | undefined {
    if (this.find(name) !== undefined) return name;

    const folded = foldUsername(name);
    for (const row of this.#selectNames.iterate()) {
      const existing = row['name'];
      if (typeof existing === 'string' && foldUsername(existing) === folded) return existing;
    }

    return undefined;
  }

  /**
   * Inserts a user. Throws ERR_CONFLICT when the name is taken, also by a name that
   * differs only in case or Unicode form.
   */
  add(user: UserRecord): void {
    assertValidUsername(user.name);
    const existing = this.findSimilarName(user.name);
    if (existing !== undefined) throw nameTakenError(user.name, existing);

    const createdAt = Date.now() * 1000;
    const result = this.#insert.run(user.name, user.passwordHash, user.isAdmin ? 1 : 0, createdAt);
    if (result.changes === 0) throw nameTakenError(user.name, user.name);
  }

  /** Replaces the password hash of `name`; returns false when there is no such user. */
  setPasswordHash(name: string, passwordHash: string): boolean {
    return this.#updateHash.run(passwordHash, name).changes > 0;
  }

  /** Deletes the user `name`; returns false when there is no such user. */
  remove(name: string): boolean {
    return this.#delete.run(name).changes > 0;
  }
}
