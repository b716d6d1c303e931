/**
 * The two kinds of revocation on disk: single tokens, kept until the token expires, and a
 * per-user "not before" time that revokes every token of the user with an "iat" at or
 * before it. All times are integer microseconds since the epoch.
 */

import type { DatabaseSync, StatementSync } from 'node:sqlite';

import { Settings } from './settings.ts';

/**
 * Latest time stored, in microseconds: the largest safe integer, in the year 2255. Later
 * times are stored as this one, because node:sqlite throws a RangeError when it reads a
 * larger INTEGER back, which would stop every later load of the table.
 */
export const MAX_STORED_US = Number.MAX_SAFE_INTEGER;

export interface RevokedToken {
  /** The token's "jti", or "sha256:" and the base64url SHA-256 of a token without one. */
  key: string;
  expiresAtUs: number;
}

export interface UserNotBefore {
  name: string;
  notBeforeUs: number;
}

function toInteger(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** Prepared statements on the revocation tables of one connection. */
export class RevocationTable {
  readonly #insertToken: StatementSync;
  readonly #raiseNotBefore: StatementSync;
  readonly #selectNotBefore: StatementSync;
  readonly #selectTokens: StatementSync;
  readonly #selectTokenRows: StatementSync;
  readonly #selectAllNotBefore: StatementSync;
  readonly #deleteTokens: StatementSync;
  readonly #deleteNotBefore: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insertToken = db.prepare(
      'INSERT INTO revoked_tokens (token_key, expires_at_us) VALUES (?, ?) ' +
        'ON CONFLICT (token_key) DO NOTHING',
    );
    this.#raiseNotBefore = db.prepare(
      'INSERT INTO user_not_before (name, not_before_us, expires_at_us) VALUES (?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET ' +
        'not_before_us = max(not_before_us, excluded.not_before_us), ' +
        'expires_at_us = max(expires_at_us, excluded.expires_at_us)',
    );
    this.#selectNotBefore = db.prepare(
      'SELECT not_before_us FROM user_not_before WHERE name = ?',
    );
    this.#selectTokens = db.prepare('SELECT token_key, expires_at_us FROM revoked_tokens');
    this.#selectTokenRows = db.prepare('SELECT token_key, expires_at_us FROM revoked_tokens');
    this.#selectTokenRows.setReturnArrays(true);
    this.#selectAllNotBefore = db.prepare('SELECT name, not_before_us FROM user_not_before');
    this.#deleteTokens = db.prepare('DELETE FROM revoked_tokens WHERE expires_at_us <= ?');
    this.#deleteNotBefore = db.prepare('DELETE FROM user_not_before WHERE expires_at_us <= ?');
  }

  insertToken(token: RevokedToken): void {
    this.#insertToken.run(token.key, Math.min(token.expiresAtUs, MAX_STORED_US));
  }

  /**
   * Stores a not-before time for `name`, or keeps the stored one when it is later.
   * `expiresAtUs` is when every token it covers has expired, so the row may go.
   */
  raiseNotBefore(name: string, notBeforeUs: number, expiresAtUs: number): void {
    const storedNotBeforeUs = Math.min(notBeforeUs, MAX_STORED_US);
    this.#raiseNotBefore.run(name, storedNotBeforeUs, Math.min(expiresAtUs, MAX_STORED_US));
  }

  /** Returns the not-before time of `name`, or 0 when none is stored. */
  readNotBefore(name: string): number {
    return toInteger(this.#selectNotBefore.get(name)?.['not_before_us']);
  }

  /**
   * Calls `visit` with the key and expiry of every revoked token. Rows come as arrays,
   * not objects, because a server may load millions of them at start.
   */
  forEachToken(visit: (key: string, expiresAtUs: number) => void): void {
    for (const row of this.#selectTokenRows.iterate() as Iterable<unknown[]>) {
      const [key, expiresAtUs] = row;
      if (typeof key === 'string') visit(key, toInteger(expiresAtUs));
    }
  }

  *iterateTokens(): Generator<RevokedToken> {
    for (const row of this.#selectTokens.iterate()) {
      const key = row['token_key'];
      if (typeof key === 'string') yield { key, expiresAtUs: toInteger(row['expires_at_us']) };
    }
  }

  *iterateNotBefore(): Generator<UserNotBefore> {
    for (const row of this.#selectAllNotBefore.iterate()) {
      const name = row['name'];
      if (typeof name === 'string') yield { name, notBeforeUs: toInteger(row['not_before_us']) };
    }
  }

  /** Deletes every row whose tokens have all expired at `nowUs`. */
  deleteExpired(nowUs: number): void {
    this.#deleteTokens.run(nowUs);
    this.#deleteNotBefore.run(nowUs);
  }
}

/**
 * Revokes every token of `name` from a process other than the server, such as the `user`
 * commands. Call it inside a write transaction. The not-before time is the later of now
 * and `issued_until_us`, which bounds the "iat" of every token a server has handed out.
 * Returns the not-before time stored.
 */
export function revokeAllTokensOf(db: DatabaseSync, name: string, fallbackTtlUs: number): number {
  const settings = new Settings(db);
  const table = new RevocationTable(db);

  const nowUs = Date.now() * 1000;
  const notBeforeUs = Math.max(nowUs, settings.read('issued_until_us'), table.readNotBefore(name));
  const ttlUs = Math.max(settings.read('max_token_ttl_us'), fallbackTtlUs);
  table.raiseNotBefore(name, notBeforeUs, notBeforeUs + ttlUs);

  return notBeforeUs;
}
