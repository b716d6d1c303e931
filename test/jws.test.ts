import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import type { ErrorCode } from '../lib/errors.ts';
import { encodeBase64Url } from '../lib/jwt/base64url.ts';
import {
  createHs256Key,
  decodeJwt,
  hasValidSignature,
  MAX_TOKEN_LENGTH,
  signHs256,
  verifyHs256,
} from '../lib/jwt/jws.ts';

const key = createHs256Key('jws-test-secret-0123456789abcdef012345');
const otherKey = createHs256Key('another-secret-0123456789abcdef0123456');
const CANONICAL_HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';

/** Signs raw header and payload JSON text, so that tests can shape any token. */
function signSegments(headerJson: string, payloadJson: string, signingKey = key): string {
  const signingInput = `${encodeBase64Url(headerJson)}.${encodeBase64Url(payloadJson)}`;
  const signature = createHmac('sha256', signingKey).update(signingInput).digest('base64url');

  return `${signingInput}.${signature}`;
}

function throwsCode(run: () => unknown, code: ErrorCode): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isAtsAuthError(error), `expected an AtsAuthError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);

    return true;
  });
}

describe('createHs256Key()', () => {
  test('accepts a string and the same bytes alike', () => {
    const fromString = createHs256Key('s3cret');
    const fromBytes = createHs256Key(Buffer.from('s3cret'));

    assert.equal(verifyHs256(signHs256({ a: 1 }, fromString), fromBytes).payload['a'], 1);
  });

  const invalid = [
    { name: 'an empty string', secret: '' },
    { name: 'empty bytes', secret: new Uint8Array(0) },
    { name: 'a number', secret: 42 },
    { name: 'undefined', secret: undefined },
  ];
  for (const { name, secret } of invalid) {
    test(`throws TypeError for ${name}`, () => {
      assert.throws(() => createHs256Key(secret as unknown as string), TypeError);
    });
  }
});

describe('signHs256()', () => {
  test('writes the ats.auth header and a 43-character signature', () => {
    const [header, payload, signature, ...rest] = signHs256({ sub: 'marco' }, key).split('.');

    assert.equal(header, CANONICAL_HEADER);
    assert.equal(Buffer.from(payload ?? '', 'base64url').toString(), '{"sub":"marco"}');
    assert.equal(signature?.length, 43);
    assert.equal(rest.length, 0);
  });

  const invalid = [
    { name: 'an array', payload: [] },
    { name: 'null', payload: null },
    { name: 'a string', payload: 'sub' },
  ];
  for (const { name, payload } of invalid) {
    test(`throws TypeError for ${name}`, () => {
      const notAnObject = payload as unknown as Record<string, unknown>;

      assert.throws(() => signHs256(notAnObject, key), TypeError);
    });
  }
});

describe('verifyHs256()', () => {
  const payloads = [
    { name: 'ats.auth claims', payload: { iss: 'ats.auth', sub: 'marco', iat: 1.5, exp: 4e9 } },
    { name: 'empty object', payload: {} },
    { name: 'Unicode strings', payload: { sub: 'zoë \u{1F511}', note: 'line\nbreak "quoted"' } },
    {
      name: 'nested values',
      payload: { roles: ['a', { b: [null, true, 1e-9] }], url: 'https://x/' },
    },
    { name: 'escaped names', payload: { 'a"b': 1, 'a\\b': 2, 'é': 3 } },
  ];
  for (const { name, payload } of payloads) {
    test(`round trips ${name}`, () => {
      const token = signHs256(payload, key);
      const decoded = verifyHs256(token, key);

      assert.deepEqual(decoded.payload, payload);
      assert.deepEqual(decoded.header, { alg: 'HS256', typ: 'JWT' });
      assert.equal(decoded.signingInput, token.slice(0, token.lastIndexOf('.')));
      assert.equal(decoded.signature.toString('base64url'), token.split('.')[2]);
    });
  }

  test('reuses one key for many tokens', () => {
    for (let index = 0; index < 100; index++) {
      const token = signHs256({ sub: `user${index}` }, key);
      assert.equal(verifyHs256(token, key).payload['sub'], `user${index}`);
      throwsCode(() => verifyHs256(token, otherKey), 'ERR_TOKEN_SIGNATURE');
    }
  });

  const inputs = [
    { name: 'undefined', token: undefined },
    { name: 'null', token: null },
    { name: 'a number', token: 42 },
    { name: 'an object', token: {} },
    { name: 'an array of segments', token: ['a', 'b', 'c'] },
    { name: 'a Buffer', token: Buffer.from('a.b.c') },
    { name: 'an empty string', token: '' },
  ];
  for (const { name, token } of inputs) {
    test(`rejects ${name} as malformed`, () => {
      throwsCode(() => verifyHs256(token, key), 'ERR_TOKEN_MALFORMED');
      throwsCode(() => decodeJwt(token), 'ERR_TOKEN_MALFORMED');
    });
  }

  const headers = [
    { name: 'parameters in another order', json: '{"typ":"JWT","alg":"HS256"}' },
    { name: 'no typ', json: '{"alg":"HS256"}' },
    { name: 'typ "jwt"', json: '{"alg":"HS256","typ":"jwt"}' },
    { name: 'typ "Jwt"', json: '{"alg":"HS256","typ":"Jwt"}' },
    { name: 'typ "application/jwt"', json: '{"alg":"HS256","typ":"application/jwt"}' },
    { name: 'typ "APPLICATION/JWT"', json: '{"alg":"HS256","typ":"APPLICATION/JWT"}' },
    { name: 'a kid', json: '{"alg":"HS256","kid":"2026-01"}' },
    { name: 'whitespace', json: ' {\r\n "alg" : "HS256" }\t' },
  ];
  for (const { name, json } of headers) {
    test(`accepts a header with ${name}`, () => {
      const decoded = verifyHs256(signSegments(json, '{"sub":"marco"}'), key);

      assert.deepEqual(decoded.header, JSON.parse(json));
    });
  }

  const typs = ['at+jwt', 'JOSE', 'JWS', '', 'JWT ', 'application/at+jwt', 'text/jwt'];
  for (const typ of typs) {
    test(`rejects typ ${JSON.stringify(typ)}`, () => {
      const header = JSON.stringify({ alg: 'HS256', typ });

      throwsCode(() => verifyHs256(signSegments(header, '{}'), key), 'ERR_TOKEN_MALFORMED');
    });
  }

  for (const typ of [null, 1, true, ['JWT'], { v: 'JWT' }]) {
    test(`rejects typ of type ${Array.isArray(typ) ? 'array' : typeof typ}`, () => {
      const header = JSON.stringify({ alg: 'HS256', typ });

      throwsCode(() => verifyHs256(signSegments(header, '{}'), key), 'ERR_TOKEN_MALFORMED');
    });
  }

  test('applies claim options', () => {
    const token = signHs256({ iss: 'ats.auth', sub: 'marco', exp: 1000 }, key);

    const decoded = verifyHs256(token, key, { nowSeconds: 999, subject: 'marco' });

    assert.equal(decoded.payload['exp'], 1000);
    throwsCode(() => verifyHs256(token, key, { nowSeconds: 1000 }), 'ERR_TOKEN_EXPIRED');
    throwsCode(() => verifyHs256(token, key, { nowSeconds: 0, issuer: 'x' }), 'ERR_TOKEN_CLAIM');
  });

  test('accepts a token of exactly MAX_TOKEN_LENGTH', () => {
    let token = '';
    for (let pad = 6000; token.length < MAX_TOKEN_LENGTH; pad++) {
      token = signHs256({ pad: 'x'.repeat(pad) }, key);
    }

    assert.equal(token.length, MAX_TOKEN_LENGTH);
    assert.equal(verifyHs256(token, key).signingInput.length, MAX_TOKEN_LENGTH - 44);
    throwsCode(() => verifyHs256(`${token}A`, key), 'ERR_TOKEN_MALFORMED');
  });

  const wrongKeys: { name: string; key: unknown }[] = [
    {
      name: 'an EC public key',
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    },
    { name: 'a string secret', key: 'jws-test-secret-0123456789abcdef012345' },
    { name: 'undefined', key: undefined },
  ];
  for (const { name, key: wrongKey } of wrongKeys) {
    test(`throws TypeError for ${name} as the key`, () => {
      const token = signHs256({}, key);

      assert.throws(() => verifyHs256(token, wrongKey as KeyObject), TypeError);
    });
  }
});

describe('decodeJwt()', () => {
  test('decodes without verifying', () => {
    const token = signHs256({ sub: 'marco' }, otherKey);
    const decoded = decodeJwt(token);

    assert.deepEqual(decoded.payload, { sub: 'marco' });
    assert.deepEqual(decoded.header, { alg: 'HS256', typ: 'JWT' });
    assert.equal(hasValidSignature(decoded, otherKey), true);
    assert.equal(hasValidSignature(decoded, key), false);
  });

  test('decodes a header it would not verify', () => {
    const decoded = decodeJwt(signSegments('{"alg":"none"}', '{}'));

    assert.deepEqual(decoded.header, { alg: 'none' });
  });

  test('rejects a non-canonical signature', () => {
    const token = signHs256({}, key);
    // The last of 43 characters carries 2 unused bits, so the next alphabet letter sets one.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet[alphabet.indexOf(token.at(-1) ?? '') + 1] ?? '';
    const changed = `${token.slice(0, -1)}${last}`;

    const lenient = Buffer.from(changed.split('.')[2] ?? '', 'base64url');

    assert.deepEqual(lenient, decodeJwt(token).signature);
    throwsCode(() => decodeJwt(changed), 'ERR_TOKEN_MALFORMED');
    throwsCode(() => verifyHs256(changed, key), 'ERR_TOKEN_MALFORMED');
  });
});

function flipLastBit(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 1;

  return copy;
}

describe('hasValidSignature()', () => {
  const decoded = decodeJwt(signHs256({ sub: 'marco' }, key));

  const signatures = [
    { name: 'the full signature', signature: decoded.signature, want: true },
    { name: 'its first 16 bytes', signature: decoded.signature.subarray(0, 16), want: false },
    { name: 'an empty signature', signature: Buffer.alloc(0), want: false },
    {
      name: 'one more byte',
      signature: Buffer.concat([decoded.signature, Buffer.of(0)]),
      want: false,
    },
    { name: 'a flipped bit', signature: flipLastBit(decoded.signature), want: false },
  ];
  for (const { name, signature, want } of signatures) {
    test(`returns ${want} for ${name}`, () => {
      const { signingInput } = decoded;

      assert.equal(hasValidSignature({ signingInput, signature }, key), want);
    });
  }
});
