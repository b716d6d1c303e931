/**
 * Seeded pseudo-random numbers for the fuzzer: SplitMix32, so that one seed and input
 * index give the same input on every machine and Node version.
 */

/** Mixes a seed and an input index into the seed of that input's own generator. */
export function deriveSeed(seed: number, index: number): number {
  return new Random(seed ^ Math.imul(index + 1, 0x85ebca6b)).nextUint32();
}

/** A SplitMix32 generator, which is not for cryptography. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Returns a uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let mixed = this.#state;
    mixed = Math.imul(mixed ^ (mixed >>> 16), 0x21f0aaad);
    mixed = Math.imul(mixed ^ (mixed >>> 15), 0x735a2d97);

    return (mixed ^ (mixed >>> 15)) >>> 0;
  }

  /** Returns an integer in [0, limit). */
  below(limit: number): number {
    return Math.floor((this.nextUint32() / 2 ** 32) * limit);
  }

  /** Returns an integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** Returns true with probability `probability`. */
  chance(probability: number): boolean {
    return this.nextUint32() < probability * 2 ** 32;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new RangeError('Cannot pick from an empty list');

    return item;
  }

  /** Returns `length` random bytes. */
  bytes(length: number): Buffer {
    const bytes = Buffer.alloc(length);
    for (let index = 0; index < length; index++) bytes[index] = this.below(256);

    return bytes;
  }
}
