/**
 * The issuance clock: every "iat" and every revoke-all time comes from here, in integer
 * microseconds, strictly increasing within the process even when the wall clock stalls or
 * steps back.
 *
 * The database keeps `issued_until_us`, a time no issued "iat" exceeds. A token leaves
 * the server only after that bound covers it, so a revoke-all after a restart (even with
 * a clock that went back) still covers every token issued before. The bound is raised in
 * steps of RESERVE_US, so a busy server writes it about once a second.
 */

import { nowSeconds } from '../jwt/claims.ts';

const RESERVE_US = 1_000_000;

/** Persists a new `issued_until_us`; resolves once it is committed. */
export type PersistIssuedUntil = (untilUs: number) => Promise<void>;

export class IssuanceClock {
  readonly #persist: PersistIssuedUntil;
  /** `issued_until_us` when the process started: the bound for tokens of earlier runs. */
  readonly #earlierRunsUntilUs: number;
  #lastUs = 0;
  #committedUntilUs: number;
  #requestedUntilUs: number;
  #pending: Promise<void> | undefined;

  constructor(storedUntilUs: number, persist: PersistIssuedUntil) {
    this.#persist = persist;
    this.#earlierRunsUntilUs = storedUntilUs;
    this.#committedUntilUs = storedUntilUs;
    this.#requestedUntilUs = storedUntilUs;
  }

  /** Returns a time in microseconds after every earlier result and at least `minimumUs`. */
  next(minimumUs = 0): number {
    const nowUs = Math.round(nowSeconds() * 1e6);
    this.#lastUs = Math.max(nowUs, this.#lastUs + 1, minimumUs);

    return this.#lastUs;
  }

  /**
   * Returns an "iat" after `notBeforeUs`, the user's not-before time, and a promise that
   * resolves once the database bound covers it; undefined when it already does.
   */
  issue(notBeforeUs: number): { iatUs: number; covered: Promise<void> | undefined } {
    const iatUs = this.next(notBeforeUs + 1);
    if (iatUs <= this.#committedUntilUs) return { iatUs, covered: undefined };
    if (iatUs <= this.#requestedUntilUs) return { iatUs, covered: this.#pending };

    const target = iatUs + RESERVE_US;
    this.#requestedUntilUs = target;
    this.#pending = this.#persist(target).then(
      () => {
        this.#committedUntilUs = Math.max(this.#committedUntilUs, target);
      },
      (error: unknown) => {
        // Let the next token try again instead of waiting on a write that failed.
        this.#requestedUntilUs = this.#committedUntilUs;
        throw error;
      },
    );

    return { iatUs, covered: this.#pending };
  }

  /**
   * Returns the not-before time for a revoke-all: after every token this process issued
   * and no earlier than the bound on tokens of earlier runs.
   */
  revocationPoint(): number {
    return this.next(this.#earlierRunsUntilUs);
  }
}
