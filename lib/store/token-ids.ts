/**
 * The in-memory set of single revoked tokens, compact enough for millions of entries.
 *
 * Each revocation key (a "jti", or "sha256:" and a token hash) becomes a 16-byte token
 * id. A jti that is the canonical base64url of 16 bytes, as ats-auth issues, is decoded.
 * Any other key is hashed with SHA-256 and the first 16 bytes are kept. Two different
 * keys share an id only by a 128-bit collision. The ids and their expiry times sit in one
 * ArrayBuffer, an open-addressing table with linear probing, so that the garbage collector
 * never walks the entries. Each slot takes 24 bytes, and at most half the slots are used.
 * docs/BENCHMARKS.md compares the memory with a Map of key strings.
 */

import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

/** A token id: four 32-bit words. */
export type TokenId = Uint32Array;

const ID_WORDS = 4;
const ID_BYTES = ID_WORDS * 4;
// A slot is 24 bytes: the id, then the expiry as a double. Both share one cache line in
// most slots, so a lookup that misses costs one memory access per slot probed.
const SLOT_BYTES = 24;
const SLOT_WORDS = SLOT_BYTES / 4;
const SLOT_DOUBLES = SLOT_BYTES / 8;
const EXPIRY_DOUBLE = 2;
const MIN_CAPACITY = 1024;
// At most half the slots are used, so a lookup of an absent id probes at most about 2.5
// slots on average (linear probing at load 0.5).
const MAX_LOAD = 0.5;
// 22 base64url characters carry 132 bits. The last one must leave the 4 spare bits zero,
// so that each 16-byte id has exactly one spelling.
const CANONICAL_LENGTH = 22;
const SPARE_BITS = 4;

/** The value of each base64url character (RFC 4648, section 5) by its code, or -1. */
const SEXTETS = new Int8Array(128).fill(-1);
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
for (let value = 0; value < 64; value++) SEXTETS[BASE64URL_ALPHABET.charCodeAt(value)] = value;

// The decoder fills these first, so that a key found invalid halfway leaves `target` alone.
const scratchWords = new Uint32Array(ID_WORDS);
// Keys that are not canonical jti values are hashed into these, then copied.
const hashedWords = new Uint32Array(ID_WORDS);
const hashedBytes = Buffer.from(hashedWords.buffer);
const scratchId = new Uint32Array(ID_WORDS);

/**
 * Decodes `key` into `target` as four little-endian words when it is the canonical
 * base64url form of 16 bytes, and returns whether it was. Written out in JavaScript,
 * because a server loads millions of keys at start and a Buffer call per key costs more
 * than the decoding.
 */
function decodeCanonicalJti(key: string, target: TokenId): boolean {
  if (key.length !== CANONICAL_LENGTH) return false;

  let pending = 0;
  let pendingBits = 0;
  let byteIndex = 0;
  let word = 0;
  for (let index = 0; index < CANONICAL_LENGTH; index++) {
    const code = key.charCodeAt(index);
    const sextet = code < 128 ? SEXTETS[code]! : -1;
    if (sextet < 0) return false;

    pending = (pending << 6) | sextet;
    pendingBits += 6;
    if (pendingBits < 8) continue;

    pendingBits -= 8;
    word |= ((pending >>> pendingBits) & 0xff) << ((byteIndex & 3) * 8);
    pending &= (1 << pendingBits) - 1;
    byteIndex++;
    if ((byteIndex & 3) === 0) {
      scratchWords[(byteIndex >> 2) - 1] = word >>> 0;
      word = 0;
    }
  }
  if (pendingBits !== SPARE_BITS || pending !== 0) return false;

  target.set(scratchWords);
  return true;
}

/** Writes the token id of revocation key `key` into `target`. */
export function writeTokenId(key: string, target: TokenId): void {
  if (decodeCanonicalJti(key, target)) return;

  createHash('sha256').update(key).digest().copy(hashedBytes, 0, 0, ID_BYTES);
  target.set(hashedWords);
}

/** Returns the token id of revocation key `key`. */
export function tokenIdOf(key: string): TokenId {
  const id = new Uint32Array(ID_WORDS);
  writeTokenId(key, id);

  return id;
}

/** Mixes the four words of an id into a slot index, as ids from other issuers may not be random. */
function hashId(w0: number, w1: number, w2: number, w3: number, mask: number): number {
  let hash = w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35);
  hash ^= hash >>> 15;

  return Math.imul(hash, 0x2c1b3c6d) & mask;
}

// A free slot has expiry 0, so stored expiry times are at least 1 microsecond.
function toStoredExpiry(expiresAtUs: number): number {
  return Math.max(1, expiresAtUs);
}

/** Revoked token ids with their expiry times, in an open-addressing hash table. */
export class TokenIdSet {
  /** The slots as 32-bit words: the id in words 0 to 3 of each slot. */
  #words = new Uint32Array(0);
  /** The same slots as doubles: the expiry in microseconds, or 0 for a free slot. */
  #expiry = new Float64Array(0);
  #mask = 0;
  #size = 0;

  constructor(capacity = MIN_CAPACITY) {
    let slots = MIN_CAPACITY;
    while (slots * MAX_LOAD < capacity) slots *= 2;

    this.#allocate(slots);
  }

  get size(): number {
    return this.#size;
  }

  /** Returns whether `id` is in the set. */
  has(id: TokenId): boolean {
    return this.#find(id[0]!, id[1]!, id[2]!, id[3]!) >= 0;
  }

  /** Returns whether the id of revocation key `key` is in the set. */
  hasKey(key: string): boolean {
    writeTokenId(key, scratchId);

    return this.has(scratchId);
  }

  /** Adds `id`, or keeps the later expiry when it is there already. */
  add(id: TokenId, expiresAtUs: number): void {
    if ((this.#size + 1) > (this.#mask + 1) * MAX_LOAD) this.#resize((this.#mask + 1) * 2);

    const w0 = id[0]!;
    const w1 = id[1]!;
    const w2 = id[2]!;
    const w3 = id[3]!;
    const expiry = toStoredExpiry(expiresAtUs);
    const found = this.#find(w0, w1, w2, w3);
    if (found >= 0) {
      const index = found * SLOT_DOUBLES + EXPIRY_DOUBLE;
      this.#expiry[index] = Math.max(this.#expiry[index]!, expiry);
      return;
    }

    let slot = hashId(w0, w1, w2, w3, this.#mask);
    while (!this.#isFree(slot)) slot = (slot + 1) & this.#mask;
    this.#store(slot, w0, w1, w2, w3, expiry);
    this.#size++;
  }

  /** Adds the id of revocation key `key`, as add() does. */
  addKey(key: string, expiresAtUs: number): void {
    writeTokenId(key, scratchId);
    this.add(scratchId, expiresAtUs);
  }

  /** Removes every id whose token has expired at `nowUs` and returns how many it removed. */
  deleteExpired(nowUs: number): number {
    const before = this.#size;
    let slot = 0;
    while (slot <= this.#mask) {
      const expiry = this.#expiry[slot * SLOT_DOUBLES + EXPIRY_DOUBLE]!;
      // The slot is checked again after a removal, as a later entry may have moved into it.
      if (expiry !== 0 && expiry <= nowUs) this.#remove(slot);
      else slot++;
    }

    return before - this.#size;
  }

  #find(w0: number, w1: number, w2: number, w3: number): number {
    const words = this.#words;
    let slot = hashId(w0, w1, w2, w3, this.#mask);
    while (this.#expiry[slot * SLOT_DOUBLES + EXPIRY_DOUBLE] !== 0) {
      const base = slot * SLOT_WORDS;
      const matches =
        words[base] === w0 &&
        words[base + 1] === w1 &&
        words[base + 2] === w2 &&
        words[base + 3] === w3;
      if (matches) return slot;

      slot = (slot + 1) & this.#mask;
    }

    return -1;
  }

  #store(slot: number, w0: number, w1: number, w2: number, w3: number, expiry: number): void {
    const base = slot * SLOT_WORDS;
    this.#words[base] = w0;
    this.#words[base + 1] = w1;
    this.#words[base + 2] = w2;
    this.#words[base + 3] = w3;
    this.#expiry[slot * SLOT_DOUBLES + EXPIRY_DOUBLE] = expiry;
  }

  /**
   * Empties `slot` by backward-shift deletion: each later entry of the same probe run that
   * may live in the hole moves back, so lookups never need tombstones.
   */
  #remove(slot: number): void {
    const words = this.#words;
    const mask = this.#mask;
    let hole = slot;
    let next = (hole + 1) & mask;
    while (this.#expiry[next * SLOT_DOUBLES + EXPIRY_DOUBLE] !== 0) {
      const base = next * SLOT_WORDS;
      const w0 = words[base]!;
      const w1 = words[base + 1]!;
      const w2 = words[base + 2]!;
      const w3 = words[base + 3]!;
      const home = hashId(w0, w1, w2, w3, mask);
      // The entry may move into the hole unless its home slot lies cyclically in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        this.#store(hole, w0, w1, w2, w3, this.#expiry[next * SLOT_DOUBLES + EXPIRY_DOUBLE]!);
        hole = next;
      }
      next = (next + 1) & mask;
    }

    this.#expiry[hole * SLOT_DOUBLES + EXPIRY_DOUBLE] = 0;
    this.#size--;
  }

  #allocate(slots: number): void {
    const buffer = new ArrayBuffer(slots * SLOT_BYTES);
    this.#words = new Uint32Array(buffer);
    this.#expiry = new Float64Array(buffer);
    this.#mask = slots - 1;
  }

  #resize(slots: number): void {
    const words = this.#words;
    const expiry = this.#expiry;
    this.#allocate(slots);

    for (let slot = 0; slot < words.length / SLOT_WORDS; slot++) {
      const expiresAtUs = expiry[slot * SLOT_DOUBLES + EXPIRY_DOUBLE]!;
      if (expiresAtUs === 0) continue;

      const base = slot * SLOT_WORDS;
      const w0 = words[base]!;
      const w1 = words[base + 1]!;
      const w2 = words[base + 2]!;
      const w3 = words[base + 3]!;
      let target = hashId(w0, w1, w2, w3, this.#mask);
      while (!this.#isFree(target)) target = (target + 1) & this.#mask;
      this.#store(target, w0, w1, w2, w3, expiresAtUs);
    }
  }

  #isFree(slot: number): boolean {
    return this.#expiry[slot * SLOT_DOUBLES + EXPIRY_DOUBLE] === 0;
  }
}
