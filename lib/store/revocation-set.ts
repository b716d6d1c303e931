/**
 * The server's in-memory copy of the revocation tables, so that checking a token touches
 * no disk. Every change is committed first, through the group-commit batcher, and copied
 * into memory after the commit. Changes made by other processes, such as `user passwd`,
 * are picked up by reloadIfChanged(), which the server calls on a timer.
 */

import type { StatementSync } from 'node:sqlite';

import type { WriteBatcher } from './batch.ts';
import type { Store } from './db.ts';
import { RevocationTable } from './revocations.ts';
import type { RevokedToken } from './revocations.ts';
import { Settings } from './settings.ts';
import { TokenIdSet, tokenIdOf } from './token-ids.ts';
import type { TokenId } from './token-ids.ts';

export class RevocationSet {
  readonly #table: RevocationTable;
  readonly #settings: Settings;
  readonly #batcher: WriteBatcher;
  readonly #dataVersion: StatementSync;
  #tokens = new TokenIdSet();
  #notBefore = new Map<string, number>();
  #purgedUntilUs = 0;
  #version = 0;
  #lastDataVersion: unknown;

  /** Loads both tables; throws whatever SQLite throws on an unreadable database. */
  constructor(store: Store, batcher: WriteBatcher) {
    this.#table = new RevocationTable(store.db);
    this.#settings = new Settings(store.db);
    this.#batcher = batcher;
    this.#dataVersion = store.db.prepare('PRAGMA data_version');
    this.reload();
  }

  /** Number of single revoked tokens held in memory. */
  get tokenCount(): number {
    return this.#tokens.size;
  }

  /**
   * Counter that grows whenever a revocation may have been added. A token found not
   * revoked at one version needs no new lookup while the version stays the same.
   */
  get version(): number {
    return this.#version;
  }

  /** Revocations of tokens expiring up to this time, in microseconds, have been dropped. */
  get purgedUntilUs(): number {
    return this.#purgedUntilUs;
  }

  /** Returns whether the token with this revocation key was revoked on its own. */
  hasToken(key: string): boolean {
    return this.#tokens.hasKey(key);
  }

  /** Returns whether the token with this id, from tokenIdOf(), was revoked on its own. */
  hasTokenId(id: TokenId): boolean {
    return this.#tokens.has(id);
  }

  /** Returns the not-before time of `name` in microseconds, or 0 when there is none. */
  notBeforeOf(name: string): number {
    return this.#notBefore.get(name) ?? 0;
  }

  /**
   * Replaces the in-memory copy with what the database contains now.
   *
   * NOTE: this reads every revoked token while requests wait: about 0.65 s for 1,000,000
   * on the machine of docs/BENCHMARKS.md. It runs at start and after any commit by another
   * process, such as `user passwd`.
   */
  reload(): void {
    const tokens = new TokenIdSet();
    this.#table.forEachToken((key, expiresAtUs) => tokens.addKey(key, expiresAtUs));

    this.#tokens = tokens;
    this.#reloadNotBefore();
    this.#purgedUntilUs = this.#settings.read('purged_until_us');
    this.#lastDataVersion = this.#readDataVersion();
    this.#version++;
  }

  /**
   * Reloads when another connection has committed since the last load; PRAGMA
   * data_version reads shared memory, not the file. Returns whether it reloaded.
   */
  reloadIfChanged(): boolean {
    if (this.#readDataVersion() === this.#lastDataVersion) return false;

    this.reload();
    return true;
  }

  /**
   * Revokes one token; resolves once the revocation is committed to disk. `id` is the
   * token id of `token.key`, passed by callers that have it already.
   */
  async revokeToken(token: RevokedToken, id: TokenId = tokenIdOf(token.key)): Promise<void> {
    // A key in memory is already committed, so a repeated logout costs no write.
    if (this.#tokens.has(id)) return;

    await this.#batcher.submit(() => this.#table.insertToken(token));
    this.#tokens.add(id, token.expiresAtUs);
    this.#version++;
  }

  /**
   * Revokes every token of `name` with an "iat" at or before `notBeforeUs`; resolves once
   * committed. `expiresAtUs` is when the last of those tokens expires.
   */
  async revokeUser(name: string, notBeforeUs: number, expiresAtUs: number): Promise<void> {
    await this.#batcher.submit(() => this.#table.raiseNotBefore(name, notBeforeUs, expiresAtUs));

    this.#notBefore.set(name, Math.max(this.notBeforeOf(name), notBeforeUs));
    this.#version++;
  }

  /**
   * Drops revocations whose tokens have all expired at `nowUs`, on disk and then in memory.
   * Returns how many single-token revocations were dropped.
   */
  async purge(nowUs: number): Promise<number> {
    await this.#batcher.submit(() => {
      this.#table.deleteExpired(nowUs);
      this.#settings.raise('purged_until_us', nowUs);
    });

    const dropped = this.#tokens.deleteExpired(nowUs);
    // The not-before times come back from disk, with any that another process committed.
    this.#reloadNotBefore();
    this.#version++;
    this.#purgedUntilUs = Math.max(this.#purgedUntilUs, nowUs);

    return dropped;
  }

  #reloadNotBefore(): void {
    const notBefore = new Map<string, number>();
    for (const entry of this.#table.iterateNotBefore()) {
      notBefore.set(entry.name, entry.notBeforeUs);
    }

    this.#notBefore = notBefore;
  }

  #readDataVersion(): unknown {
    return this.#dataVersion.get()?.['data_version'];
  }
}
