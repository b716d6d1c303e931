import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import { decodeBase64Url, encodeBase64Url, findBase64UrlProblem } from '../lib/jwt/base64url.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('encodeBase64Url()', () => {
  const cases = [
    { name: 'empty bytes', input: new Uint8Array(0), want: '' },
    { name: 'bytes 62 and 63', input: new Uint8Array([0xfb, 0xff]), want: '-_8' },
    { name: 'ASCII string', input: 'foobar', want: 'Zm9vYmFy' },
    { name: 'UTF-8 string', input: 'é', want: 'w6k' },
    { name: 'emoji string', input: '\u{1F511}', want: '8J-UkQ' },
    { name: 'Buffer', input: Buffer.from('fo'), want: 'Zm8' },
    { name: 'view into a buffer', input: Buffer.from('xfoox').subarray(1, 4), want: 'Zm9v' },
  ];

  for (const { name, input, want } of cases) {
    test(`encodes ${name}`, () => {
      assert.equal(encodeBase64Url(input), want);
    });
  }
});

describe('decodeBase64Url()', () => {
  test('round trips every length up to 64 bytes', () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, index) => (index * 73 + 11) & 0xff));
      const text = encodeBase64Url(bytes);

      assert.equal(text.length % 4 === 1, false);
      assert.deepEqual(decodeBase64Url(text), bytes);
    }
  });

  const problems = [
    { name: 'padding', input: 'Zg==', want: 'outside the base64url alphabet at offset 2' },
    { name: 'standard alphabet', input: 'A+z/4ME', want: 'outside the base64url alphabet' },
    { name: 'space', input: 'Zm9v YmFy', want: 'outside the base64url alphabet at offset 4' },
    { name: 'non-ASCII', input: 'Zm9vé', want: 'outside the base64url alphabet' },
    { name: 'length 1 modulo 4', input: 'Zm9vY', want: 'impossible length' },
    { name: 'bits after 1 byte', input: 'Zh', want: 'non-zero padding bits' },
    { name: 'bits after 2 bytes', input: 'Zm9', want: 'non-zero padding bits' },
  ];

  for (const { name, input, want } of problems) {
    test(`rejects ${name} and says why`, () => {
      assert.match(findBase64UrlProblem(input) ?? '', new RegExp(want));
      assert.throws(
        () => decodeBase64Url(input, 'the token payload'),
        (error: unknown) =>
          isAtsAuthError(error, 'ERR_TOKEN_MALFORMED') &&
          error.message.startsWith('Invalid base64url in the token payload: it ') &&
          error.message.includes(want),
      );
    });
  }

  test('rejects every non-canonical last character', () => {
    for (const [length, usedBits] of [
      [2, 2],
      [3, 4],
    ] as const) {
      for (const last of ALPHABET) {
        const text = `${'A'.repeat(length - 1)}${last}`;
        const canonical = (ALPHABET.indexOf(last) & ((1 << (6 - usedBits)) - 1)) === 0;

        assert.equal(findBase64UrlProblem(text) === undefined, canonical, text);
      }
    }
  });

  test('agrees with findBase64UrlProblem() on all short strings', () => {
    // Every string of up to 3 characters from the alphabet plus characters that lenient
    // decoders accept or skip: the fast round-trip check must match the stated rules.
    const characters = [...ALPHABET, '=', '+', '/', ' ', '\n', '.', 'é', '\0'];
    const strings = [''];
    for (let length = 1; length <= 3; length++) {
      for (const prefix of strings.filter((text) => text.length === length - 1)) {
        for (const character of characters) strings.push(prefix + character);
      }
    }

    for (const text of strings) {
      const canonical = findBase64UrlProblem(text) === undefined;
      let decoded = true;
      try {
        decodeBase64Url(text);
      } catch (error) {
        assert.ok(isAtsAuthError(error, 'ERR_TOKEN_MALFORMED'));
        decoded = false;
      }

      assert.equal(decoded, canonical, JSON.stringify(text));
    }
  });

  const wrongTypes = [
    { name: 'undefined', input: undefined },
    { name: 'null', input: null },
    { name: 'a number', input: 42 },
    { name: 'an array', input: ['Zm8'] },
    { name: 'a Buffer', input: Buffer.from('Zm8') },
  ];
  for (const { name, input } of wrongTypes) {
    test(`throws TypeError for ${name}`, () => {
      assert.throws(() => decodeBase64Url(input as unknown as string), TypeError);
    });
  }
});
