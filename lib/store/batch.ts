/**
 * Group commit: writes submitted during one turn of the event loop run in one transaction,
 * and every submitter learns the outcome after that single COMMIT. With synchronous=FULL
 * each commit costs a disk flush, so a burst of revocations pays for one flush, not one
 * each, and no caller hears "done" before its write is on disk.
 *
 * A write that fails on its own row, such as a constraint violation, rejects only its own
 * submitter: the batch runs again with each write in a savepoint, and the others commit.
 * A failure of the whole database, such as a lock or a full disk, rejects every submitter.
 */

import { AtsAuthError } from '../errors.ts';
import { runTransaction } from './db.ts';
import type { Store } from './db.ts';
import { sqliteCodeOf, toStoreError } from './store-errors.ts';

interface PendingWrite {
  write: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

// SQLite primary result codes that concern the whole database, not one write: busy,
// locked, out of memory, read-only, I/O error, corrupt, disk full, cannot open, not a
// database. Running the writes again one by one would only repeat such a failure.
const DATABASE_WIDE_CODES = new Set([5, 6, 7, 8, 10, 11, 13, 14, 26]);

function isDatabaseWide(error: unknown): boolean {
  const code = sqliteCodeOf(error);

  return code !== undefined && DATABASE_WIDE_CODES.has(code);
}

/** Collects writes and commits them together on the next turn of the event loop. */
export class WriteBatcher {
  readonly #store: Store;
  #queue: PendingWrite[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * Queues `write`, which runs inside the next batch transaction, and resolves once that
   * transaction is committed. Rejects with ERR_STORE when the batch fails to commit.
   */
  submit(write: () => void): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new AtsAuthError('ERR_STORE', `Database is closed: ${this.#store.path}`),
      );
    }

    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ write, resolve, reject });
    this.#scheduled ??= setImmediate(() => this.flush());

    return promise;
  }

  /**
   * Commits every queued write now, in one transaction.
   *
   * NOTE: node:sqlite is synchronous, so while another process holds the write lock this
   * blocks the event loop, token checks included, for up to the busy timeout.
   */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;

    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;

    // Set when a write throws, as opposed to BEGIN or COMMIT.
    let writeFailure: { error: unknown } | undefined;
    try {
      runTransaction(this.#store, () => {
        for (const pending of batch) {
          try {
            pending.write();
          } catch (error) {
            writeFailure = { error };
            throw error;
          }
        }
      });
    } catch (error) {
      const isRowError = writeFailure !== undefined && !isDatabaseWide(writeFailure.error);
      if (!isRowError || batch.length === 1) {
        for (const pending of batch) pending.reject(error);
        return;
      }

      this.#commitEachInSavepoint(batch);
      return;
    }

    for (const pending of batch) pending.resolve();
  }

  /**
   * Runs the batch again in one transaction, each write in its own savepoint, so that a
   * failed write is rolled back alone and rejects only its submitter.
   */
  #commitEachInSavepoint(batch: PendingWrite[]): void {
    const { db, path } = this.#store;
    const failures = new Map<PendingWrite, unknown>();
    try {
      runTransaction(this.#store, () => {
        for (const pending of batch) {
          db.exec('SAVEPOINT batch_write');
          try {
            pending.write();
          } catch (error) {
            db.exec('ROLLBACK TO batch_write');
            failures.set(pending, toStoreError(error, path));
          }
          db.exec('RELEASE batch_write');
        }
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }

    for (const pending of batch) {
      if (failures.has(pending)) pending.reject(failures.get(pending));
      else pending.resolve();
    }
  }

  /** Commits what is queued and rejects every later submit. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
