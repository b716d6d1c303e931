/**
 * Integer settings kept in the database across restarts. Each one only ever grows, so a
 * write keeps the larger of the stored and the new value.
 */

import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * - `issued_until_us`: no token was issued with an "iat" after this time, in microseconds.
 * - `purged_until_us`: revocations of tokens expiring up to this time were deleted.
 * - `max_token_ttl_us`: the longest token lifetime any server on this database used.
 */
export type SettingName = 'issued_until_us' | 'purged_until_us' | 'max_token_ttl_us';

/** Prepared statements for the settings table of one connection. */
export class Settings {
  readonly #select: StatementSync;
  readonly #raise: StatementSync;

  constructor(db: DatabaseSync) {
    this.#select = db.prepare('SELECT value FROM settings WHERE name = ?');
    this.#raise = db.prepare(
      'INSERT INTO settings (name, value) VALUES (?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)',
    );
  }

  /** Returns the stored value, or 0 when the setting was never written. */
  read(name: SettingName): number {
    const value = this.#select.get(name)?.['value'];

    return typeof value === 'number' ? value : 0;
  }

  /** Stores `value` unless the stored value is already larger. */
  raise(name: SettingName, value: number): void {
    this.#raise.run(name, value);
  }
}
