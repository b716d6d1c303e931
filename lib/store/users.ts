/**
 * The users table: name, Argon2id PHC string and admin flag. User names end up in the
 * "sub" claim, in the X-Auth-UserId header and in logs, so they are restricted to
 * characters that are safe in all three.
 */

import type { DatabaseSync, StatementSync } from 'node:sqlite';

import { AtsAuthError } from '../errors.ts';

/** Letters, digits and `. _ @ + -`, starting with a letter or digit, at most 128 long. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

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

/** Throws ERR_USAGE naming the value and the rule unless `name` is a valid user name. */
export function assertValidUsername(name: string): void {
  if (USERNAME_PATTERN.test(name)) return;

  throw new AtsAuthError(
    'ERR_USAGE',
    `Invalid user name ${JSON.stringify(name.slice(0, 140))}: use 1 to 128 letters, digits ` +
      'or . _ @ + -, starting with a letter or digit',
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
  readonly #insert: StatementSync;
  readonly #updateHash: StatementSync;
  readonly #delete: StatementSync;

  constructor(db: DatabaseSync) {
    this.#select = db.prepare('SELECT name, password_hash, is_admin FROM users WHERE name = ?');
    this.#selectAll = db.prepare('SELECT name, password_hash, is_admin FROM users ORDER BY name');
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

  /** Inserts a user. Throws ERR_CONFLICT when the name is taken. */
  add(user: UserRecord): void {
    assertValidUsername(user.name);

    const createdAt = Date.now() * 1000;
    const result = this.#insert.run(user.name, user.passwordHash, user.isAdmin ? 1 : 0, createdAt);
    if (result.changes === 0) {
      throw new AtsAuthError(
        'ERR_CONFLICT',
        `User ${user.name} already exists: use "user passwd ${user.name}" to change the password`,
      );
    }
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
