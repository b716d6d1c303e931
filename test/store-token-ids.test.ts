import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';

import { TokenIdSet, tokenIdOf } from '../lib/store/token-ids.ts';

/** A deterministic generator, so that a failing sequence can be replayed. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;

  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('tokenIdOf()', () => {
  test('decodes a canonical 16-byte jti', () => {
    const bytes = randomBytes(16);
    const id = tokenIdOf(bytes.toString('base64url'));

    assert.deepEqual(Buffer.from(id.buffer), bytes);
  });

  test('decodes as Buffer does', () => {
    for (let round = 0; round < 1000; round++) {
      const bytes = randomBytes(16);
      const id = tokenIdOf(bytes.toString('base64url'));

      assert.deepEqual(Buffer.from(id.buffer), bytes);
    }
  });

  test('hashes keys with base64 characters', () => {
    // Buffer's decoder reads "+" as "-"; the id of a key must not follow it.
    const dash = `${'A'.repeat(10)}-${'A'.repeat(11)}`;
    const plus = `${'A'.repeat(10)}+${'A'.repeat(11)}`;

    assert.notDeepEqual(tokenIdOf(plus), tokenIdOf(dash));
    assert.deepEqual(tokenIdOf(plus), tokenIdOf(plus));
  });

  test('hashes a non-canonical spelling apart', () => {
    // Both decode to the same 16 bytes, but only the first leaves the spare bits zero.
    const canonical = 'AAAAAAAAAAAAAAAAAAAAAA';
    const spare = 'AAAAAAAAAAAAAAAAAAAAAB';

    assert.notDeepEqual(tokenIdOf(canonical), tokenIdOf(spare));
  });

  test('hashes keys of other lengths', () => {
    assert.notDeepEqual(tokenIdOf('jti-1'), tokenIdOf('jti-2'));
    assert.deepEqual(tokenIdOf('sha256:abc'), tokenIdOf('sha256:abc'));
  });
});

describe('TokenIdSet', () => {
  test('finds added keys only', () => {
    const set = new TokenIdSet();
    set.addKey('jti-1', 100);

    assert.equal(set.hasKey('jti-1'), true);
    assert.equal(set.hasKey('jti-2'), false);
    assert.equal(set.size, 1);
  });

  test('keeps one entry per key', () => {
    const set = new TokenIdSet();
    set.addKey('jti-1', 100);
    set.addKey('jti-1', 50);

    assert.equal(set.size, 1);
    assert.equal(set.deleteExpired(99), 0);
    assert.equal(set.hasKey('jti-1'), true);
  });

  test('drops entries expired at the time', () => {
    const set = new TokenIdSet();
    set.addKey('old', 1_000);
    set.addKey('new', 3_000);

    assert.equal(set.deleteExpired(2_000), 1);
    assert.equal(set.hasKey('old'), false);
    assert.equal(set.hasKey('new'), true);
  });

  test('keeps an entry with expiry 0 until a purge', () => {
    const set = new TokenIdSet();
    set.addKey('zero', 0);

    assert.equal(set.hasKey('zero'), true);
    assert.equal(set.deleteExpired(1), 1);
    assert.equal(set.hasKey('zero'), false);
  });

  test('matches a Map through growth and purges', () => {
    const random = createRandom(42);
    const set = new TokenIdSet();
    const reference = new Map<string, number>();
    let nowUs = 0;

    for (let step = 0; step < 40_000; step++) {
      const choice = random();
      if (choice < 0.7) {
        const key = randomBytes(16).toString('base64url');
        const expiresAtUs = nowUs + Math.floor(random() * 10_000);
        set.addKey(key, expiresAtUs);
        reference.set(key, expiresAtUs);
      } else if (choice < 0.999) {
        nowUs += 1;
      } else {
        let expected = 0;
        for (const [key, expiresAtUs] of reference) {
          if (expiresAtUs > nowUs) continue;
          reference.delete(key);
          expected++;
        }
        assert.equal(set.deleteExpired(nowUs), expected, `purge at step ${step}`);
      }
    }

    assert.equal(set.size, reference.size);
    for (const key of reference.keys()) assert.equal(set.hasKey(key), true, key);
    for (let miss = 0; miss < 1000; miss++) {
      assert.equal(set.hasKey(randomBytes(16).toString('base64url')), false);
    }
  });

  test('purges a full probe run that wraps around', () => {
    // Many entries in the minimum table make runs that cross its end.
    const set = new TokenIdSet();
    const keys = Array.from({ length: 500 }, (_, index) => `key-${index}`);
    keys.forEach((key, index) => set.addKey(key, index % 2 === 0 ? 10 : 1_000));

    assert.equal(set.deleteExpired(10), 250);
    keys.forEach((key, index) => assert.equal(set.hasKey(key), index % 2 === 1, key));
  });
});
