/**
 * Slows password guessing, per user name and per client address. Each attempt counts as
 * a failure when it starts, so parallel guesses cannot all slip through before the first
 * one fails. A success forgives the user and takes back its own attempt. After the free
 * attempts, each further one must wait twice as long as the one before, up to a maximum.
 * Both tables are bounded, and when one is full, its least recently used entry goes.
 *
 * NOTE: anyone can delay a user's logins by failing them on purpose, up to maxDelayMs per
 * attempt. The per-user table trades that for a bound on guesses against one account.
 */

export interface ThrottleOptions {
  freeAttemptsPerUser: number;
  freeAttemptsPerAddress: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** An entry untouched for this long starts again from zero. */
  forgetAfterMs: number;
  /** Maximum entries per table. */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeAttemptsPerUser: 5,
  // Higher than per user, because many people may share one address behind a NAT.
  freeAttemptsPerAddress: 20,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 60 * 60_000,
  maxEntries: 10_000,
};

// User names in the table are cut to this length, so an entry stays small whatever the
// client sends.
const MAX_KEY_LENGTH = 128;

interface Attempts {
  failures: number;
  lastAttemptMs: number;
}

class AttemptTable {
  readonly #entries = new Map<string, Attempts>();
  readonly #freeAttempts: number;
  readonly #options: ThrottleOptions;

  constructor(freeAttempts: number, options: ThrottleOptions) {
    this.#freeAttempts = freeAttempts;
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns how long, in ms, the next attempt for `key` must still wait. */
  waitMs(key: string, nowMs: number): number {
    const entry = this.#current(key, nowMs);
    if (entry === undefined || entry.failures < this.#freeAttempts) return 0;

    const doublings = Math.min(entry.failures - this.#freeAttempts, 30);
    const delayMs = Math.min(this.#options.baseDelayMs * 2 ** doublings, this.#options.maxDelayMs);

    return Math.max(0, entry.lastAttemptMs + delayMs - nowMs);
  }

  record(key: string, nowMs: number): void {
    const failures = (this.#current(key, nowMs)?.failures ?? 0) + 1;
    // Delete then set moves the key to the end of the Map's insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, { failures, lastAttemptMs: nowMs });

    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  forgive(key: string, all: boolean): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;

    entry.failures = all ? 0 : Math.max(0, entry.failures - 1);
    if (entry.failures === 0) this.#entries.delete(key);
  }

  #current(key: string, nowMs: number): Attempts | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || nowMs - entry.lastAttemptMs <= this.#options.forgetAfterMs) {
      return entry;
    }

    this.#entries.delete(key);
    return undefined;
  }
}

/** Per-user and per-address attempt counters for password checks. */
export class LoginThrottle {
  readonly #users: AttemptTable;
  readonly #addresses: AttemptTable;

  constructor(options: Partial<ThrottleOptions> = {}) {
    const merged = { ...DEFAULT_THROTTLE, ...options };
    this.#users = new AttemptTable(merged.freeAttemptsPerUser, merged);
    this.#addresses = new AttemptTable(merged.freeAttemptsPerAddress, merged);
  }

  /** Number of entries in the user and address tables together. */
  get size(): number {
    return this.#users.size + this.#addresses.size;
  }

  /**
   * Returns 0 and records the attempt when `user` may try a password from `address` now.
   * Otherwise returns the seconds to wait, for Retry-After, and records nothing.
   */
  begin(user: string, address: string, nowMs = Date.now()): number {
    const userKey = user.slice(0, MAX_KEY_LENGTH);
    const waitMs = Math.max(
      this.#users.waitMs(userKey, nowMs),
      this.#addresses.waitMs(address, nowMs),
    );
    if (waitMs > 0) return Math.ceil(waitMs / 1000);

    this.#users.record(userKey, nowMs);
    this.#addresses.record(address, nowMs);

    return 0;
  }

  /** Clears the failures of `user` and takes back the attempt counted for `address`. */
  succeed(user: string, address: string): void {
    this.#users.forgive(user.slice(0, MAX_KEY_LENGTH), true);
    this.#addresses.forgive(address, false);
  }
}
