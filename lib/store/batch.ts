/**
 * Group commit: writes submitted during one turn of the event loop run in one transaction,
 * and every submitter learns the outcome after that single COMMIT. With synchronous=FULL
 * each commit costs a disk flush, so a burst of revocations pays for one flush, not one
 * each, and no caller hears "done" before its write is on disk.
 */

import { AtsAuthError } from '../errors.ts';
import { runTransaction } from './db.ts';
import type { Store } from './db.ts';

interface PendingWrite {
  write: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
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

    try {
      runTransaction(this.#store, () => {
        for (const pending of batch) pending.write();
      });
    } catch (error) {
      // One failed write fails the batch, so that no caller sees a partial commit.
      for (const pending of batch) pending.reject(error);
      return;
    }

    for (const pending of batch) pending.resolve();
  }

  /** Commits what is queued and rejects every later submit. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
