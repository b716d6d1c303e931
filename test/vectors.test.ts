/**
 * Known-answer tests from public vectors in test/fixtures/vectors: every vector must produce
 * its published result through the codec's own key, HMAC and base64url code.
 */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import type { ErrorCode } from '../lib/errors.ts';
import { decodeBase64Url, encodeBase64Url, findBase64UrlProblem } from '../lib/jwt/base64url.ts';
import { createHs256Key, hasValidSignature, verifyHs256 } from '../lib/jwt/jws.ts';

interface Rfc7515Vector {
  secret_base64url: string;
  token: string;
  now: number;
  claims: Record<string, unknown>;
  header: Record<string, unknown>;
}

interface HmacVector {
  id: string;
  key: string;
  data: string;
  mac: string;
  truncated_to_bits?: number;
}

interface WycheproofFile {
  numberOfTests: number;
  testGroups: {
    keySize: number;
    tagSize: number;
    tests: { tcId: number; key: string; msg: string; tag: string; result: string }[];
  }[];
}

interface Base64UrlFile {
  encode: { hex: string; text?: string; base64url: string }[];
  reject: { input: string; why: string }[];
}

function readVectors<T>(name: string): T {
  const url = new URL(`fixtures/vectors/${name}`, import.meta.url);

  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

function throwsCode(run: () => unknown, codes: readonly ErrorCode[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isAtsAuthError(error), `expected an AtsAuthError, got ${String(error)}`);
    assert.ok(codes.includes(error.code), `unexpected ${error.code}: ${error.message}`);

    return true;
  });
}

/** Returns `token` with the lowest bit of byte `index` of segment `segment` flipped. */
function flipByte(token: string, segment: number, index: number): string {
  const segments = token.split('.');
  const bytes = Buffer.from(decodeBase64Url(segments[segment] ?? ''));
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  segments[segment] = encodeBase64Url(bytes);

  return segments.join('.');
}

/** Returns `bytes` as a string whose UTF-8 encoding is `bytes`, or undefined. */
function asUtf8Text(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');

  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}

function computeHmac(key: KeyObject, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

describe('RFC 7515 appendix A.1 token', () => {
  const vector = readVectors<Rfc7515Vector>('rfc7515-a1.json');
  const key = createHs256Key(decodeBase64Url(vector.secret_base64url));

  test('verifyHs256() accepts it at its time', () => {
    const decoded = verifyHs256(vector.token, key, { nowSeconds: vector.now });

    assert.deepEqual(decoded.header, vector.header);
    assert.deepEqual(decoded.payload, vector.claims);
  });

  test('verifyHs256() rejects it once expired', () => {
    const exp = vector.claims['exp'] as number;

    throwsCode(() => verifyHs256(vector.token, key, { nowSeconds: exp }), ['ERR_TOKEN_EXPIRED']);
  });

  const segmentNames = ['header', 'payload', 'signature'] as const;
  for (const [segment, name] of segmentNames.entries()) {
    test(`verifyHs256() rejects every changed ${name} byte`, () => {
      const length = decodeBase64Url(vector.token.split('.')[segment] ?? '').byteLength;
      assert.ok(length > 0);

      // A changed header byte can break its JSON or rename a parameter. A changed payload
      // or signature byte can only break the signature, because that is checked first.
      const codes: ErrorCode[] =
        name === 'header'
          ? ['ERR_TOKEN_MALFORMED', 'ERR_TOKEN_ALG', 'ERR_TOKEN_SIGNATURE']
          : ['ERR_TOKEN_SIGNATURE'];
      for (let index = 0; index < length; index++) {
        const changed = flipByte(vector.token, segment, index);
        throwsCode(() => verifyHs256(changed, key, { nowSeconds: vector.now }), codes);
      }
    });
  }
});

describe('HMAC-SHA-256 known answers', () => {
  const { vectors } = readVectors<{ vectors: HmacVector[] }>('hmac-sha256-vectors.json');

  test('file contains vectors', () => {
    assert.equal(vectors.length, 11);
  });

  for (const vector of vectors) {
    test(`${vector.id} matches its MAC`, () => {
      const key = createHs256Key(Buffer.from(vector.key, 'hex'));
      const mac = computeHmac(key, Buffer.from(vector.data, 'hex'));
      const bytes = (vector.truncated_to_bits ?? 256) / 8;

      assert.equal(mac.subarray(0, bytes).toString('hex'), vector.mac);
    });

    const signingInput = asUtf8Text(Buffer.from(vector.data, 'hex'));
    if (signingInput === undefined) continue;

    test(`${vector.id} through hasValidSignature()`, () => {
      const key = createHs256Key(Buffer.from(vector.key, 'hex'));
      const signature = Buffer.from(vector.mac, 'hex');
      const want = vector.truncated_to_bits === undefined;

      assert.equal(hasValidSignature({ signingInput, signature }, key), want);
    });
  }

  test('rfc7797 unencoded payload token is rejected', () => {
    const vector = vectors.find(({ id }) => id === 'rfc7797-s4.2-jws-mac');
    assert.ok(vector);
    const key = createHs256Key(Buffer.from(vector.key, 'hex'));
    const signingInput = Buffer.from(vector.data, 'hex').toString('utf8');
    const token = `${signingInput}.${Buffer.from(vector.mac, 'hex').toString('base64url')}`;

    throwsCode(() => verifyHs256(token, key), ['ERR_TOKEN_MALFORMED']);
  });
});

describe('Wycheproof HMAC-SHA-256 tests', () => {
  const file = readVectors<WycheproofFile>('wycheproof_hmac_sha256_test.json');
  const tests = file.testGroups.flatMap((group) =>
    group.tests.map((vector) => ({ ...vector, tagBytes: group.tagSize / 8 })),
  );

  test('file contains every test', () => {
    assert.equal(tests.length, file.numberOfTests);
  });

  for (const vector of tests) {
    test(`tcId ${vector.tcId} (${vector.tagBytes * 8}-bit tag) is ${vector.result}`, () => {
      assert.ok(vector.result === 'valid' || vector.result === 'invalid');
      const key = createHs256Key(Buffer.from(vector.key, 'hex'));
      const message = Buffer.from(vector.msg, 'hex');
      const tag = Buffer.from(vector.tag, 'hex');

      // Wycheproof compares a truncated tag with the leading bytes of the full MAC.
      const truncated = computeHmac(key, message).subarray(0, vector.tagBytes);
      const matches = tag.byteLength === truncated.byteLength && timingSafeEqual(truncated, tag);
      assert.equal(matches, vector.result === 'valid');

      // HS256 takes only the full 32-byte MAC, so a valid truncated tag must still fail.
      const signingInput = asUtf8Text(message);
      if (signingInput === undefined) return;

      const verified = hasValidSignature({ signingInput, signature: tag }, key);
      assert.equal(verified, vector.result === 'valid' && vector.tagBytes === 32);
    });
  }

  test('hasValidSignature() rejects every truncated valid tag', () => {
    const truncatedValid = tests.filter((t) => t.tagBytes < 32 && t.result === 'valid');
    assert.ok(truncatedValid.length > 0);

    for (const vector of truncatedValid) {
      const key = createHs256Key(Buffer.from(vector.key, 'hex'));
      const signature = Buffer.from(vector.tag, 'hex');
      assert.equal(hasValidSignature({ signingInput: '', signature }, key), false);
    }
  });
});

describe('base64url vectors', () => {
  const vectors = readVectors<Base64UrlFile>('base64url-vectors.json');

  for (const { hex, text, base64url } of vectors.encode) {
    test(`encodeBase64Url() writes ${JSON.stringify(base64url)}`, () => {
      assert.equal(encodeBase64Url(Buffer.from(hex, 'hex')), base64url);
      if (text !== undefined) assert.equal(encodeBase64Url(text), base64url);
    });

    test(`decodeBase64Url() reads ${JSON.stringify(base64url)}`, () => {
      assert.equal(findBase64UrlProblem(base64url), undefined);
      assert.equal(decodeBase64Url(base64url).toString('hex'), hex);
    });
  }

  for (const { input, why } of vectors.reject) {
    test(`decodeBase64Url() rejects ${JSON.stringify(input)}: ${why}`, () => {
      assert.notEqual(findBase64UrlProblem(input), undefined);
      throwsCode(() => decodeBase64Url(input), ['ERR_TOKEN_MALFORMED']);
    });
  }
});
