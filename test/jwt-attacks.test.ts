/**
 * Known attacks on JWT verifiers, one test each. Every forged or bent token must fail with
 * the error code that names the check it broke, and nothing may escape as another error.
 */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import type { ErrorCode } from '../lib/errors.ts';
import { encodeBase64Url } from '../lib/jwt/base64url.ts';
import type { ClaimOptions } from '../lib/jwt/claims.ts';
import {
  createHs256Key,
  decodeJwt,
  MAX_TOKEN_LENGTH,
  signHs256,
  verifyHs256,
} from '../lib/jwt/jws.ts';

const NOW = 1_900_000_000;
const key = createHs256Key('attack-test-secret-0123456789abcdef01');
const otherKey = createHs256Key('attack-test-secret-0123456789abcdef02');
const claims = { iss: 'ats.auth', sub: 'marco', iat: NOW - 10, exp: NOW + 3600 };
const payloadJson = JSON.stringify(claims);
const valid = signHs256(claims, key);
const [headerSegment = '', payloadSegment = '', signatureSegment = ''] = valid.split('.');

/** Signs raw header and payload bytes or text with HMAC-SHA-256 under `signingKey`. */
function signRaw(header: string | Buffer, payload: string | Buffer, signingKey = key): string {
  const signingInput = `${encodeBase64Url(header)}.${encodeBase64Url(payload)}`;

  return `${signingInput}.${macSegment(signingInput, signingKey)}`;
}

function macSegment(signingInput: string, signingKey: KeyObject, hash = 'sha256'): string {
  return createHmac(hash, signingKey).update(signingInput).digest('base64url');
}

/** Asserts that verifyHs256() rejects `token` with `code`, and only with an AtsAuthError. */
function assertRejected(token: unknown, code: ErrorCode, options: ClaimOptions = {}): void {
  assert.throws(
    () => verifyHs256(token, key, { nowSeconds: NOW, ...options }),
    (error: unknown) => {
      assert.ok(isAtsAuthError(error), `expected an AtsAuthError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);

      return true;
    },
  );
}

function assertMalformed(token: unknown): void {
  assertRejected(token, 'ERR_TOKEN_MALFORMED');
}

/** Signs a header with `alg` HS256 plus `parameters` over the valid claims. */
function signWithHeader(parameters: Record<string, unknown>): string {
  return signRaw(JSON.stringify({ alg: 'HS256', ...parameters }), payloadJson);
}

function verifyPayload(token: string, options: ClaimOptions = {}): Record<string, unknown> {
  return verifyHs256(token, key, { nowSeconds: NOW, ...options }).payload;
}

test('valid token verifies', () => {
  assert.deepEqual(verifyPayload(valid), claims);
});

describe('algorithm attacks', () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    test(`alg ${JSON.stringify(alg)} with an empty signature`, () => {
      const header = JSON.stringify({ alg, typ: 'JWT' });

      assertRejected(`${encodeBase64Url(header)}.${payloadSegment}.`, 'ERR_TOKEN_ALG');
    });

    test(`alg ${JSON.stringify(alg)} with a non-empty signature`, () => {
      assertRejected(signRaw(JSON.stringify({ alg }), payloadJson), 'ERR_TOKEN_ALG');
    });
  }

  for (const [alg, hash] of [
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
  ] as const) {
    test(`alg ${alg} signed with the same secret`, () => {
      const signingInput = `${encodeBase64Url(JSON.stringify({ alg }))}.${payloadSegment}`;

      assertRejected(`${signingInput}.${macSegment(signingInput, key, hash)}`, 'ERR_TOKEN_ALG');
    });
  }

  for (const alg of ['hs256', 'HS256 ', ' HS256', 'HS256\u0000', 'HS2566', '']) {
    test(`alg ${JSON.stringify(alg)} that only resembles HS256`, () => {
      assertRejected(signRaw(JSON.stringify({ alg }), payloadJson), 'ERR_TOKEN_ALG');
    });
  }

  describe('RS256 and the HMAC key confusion', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' });

    test('alg RS256 with a real RSA signature', () => {
      const signingInput = `${encodeBase64Url('{"alg":"RS256"}')}.${payloadSegment}`;
      const signature = sign('sha256', Buffer.from(signingInput), privateKey);

      assertRejected(`${signingInput}.${encodeBase64Url(signature)}`, 'ERR_TOKEN_ALG');
    });

    test('alg RS256 with an HMAC of the public key', () => {
      const confusedKey = createHs256Key(publicPem);

      assertRejected(signRaw('{"alg":"RS256"}', payloadJson, confusedKey), 'ERR_TOKEN_ALG');
    });

    test('alg HS256 with the public key as HMAC secret', () => {
      const confusedKey = createHs256Key(publicPem);

      assertRejected(signRaw('{"alg":"HS256"}', payloadJson, confusedKey), 'ERR_TOKEN_SIGNATURE');
    });

    test('public key object passed as the HS256 key', () => {
      const token = signRaw('{"alg":"HS256"}', payloadJson, createHs256Key(publicPem));

      assert.throws(() => verifyHs256(token, publicKey), TypeError);
    });
  });

  test('alg ES256 with a real ECDSA signature', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signingInput = `${encodeBase64Url('{"alg":"ES256"}')}.${payloadSegment}`;
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });

    assertRejected(`${signingInput}.${encodeBase64Url(signature)}`, 'ERR_TOKEN_ALG');
  });

  test('missing alg', () => {
    assertRejected(signRaw('{"typ":"JWT"}', payloadJson), 'ERR_TOKEN_ALG');
  });

  for (const alg of [256, null, true, ['HS256'], { name: 'HS256' }]) {
    test(`alg that is not a string: ${JSON.stringify(alg)}`, () => {
      assertRejected(signRaw(JSON.stringify({ alg }), payloadJson), 'ERR_TOKEN_ALG');
    });
  }

  test('__proto__ header member that carries alg', () => {
    const token = signRaw('{"__proto__":{"alg":"HS256"},"typ":"JWT"}', payloadJson);

    assertRejected(token, 'ERR_TOKEN_ALG');
  });
});

describe('signature attacks', () => {
  test('missing signature segment', () => {
    assertRejected(`${headerSegment}.${payloadSegment}`, 'ERR_TOKEN_MALFORMED');
  });

  test('empty signature', () => {
    assertRejected(`${headerSegment}.${payloadSegment}.`, 'ERR_TOKEN_SIGNATURE');
  });

  test('signature from another token', () => {
    const otherSignature = signHs256({ ...claims, sub: 'admin' }, key).split('.')[2] ?? '';

    assertRejected(`${headerSegment}.${payloadSegment}.${otherSignature}`, 'ERR_TOKEN_SIGNATURE');
  });

  test('payload from another token under this signature', () => {
    const otherPayload = signHs256({ ...claims, sub: 'admin' }, key).split('.')[1] ?? '';

    assertRejected(`${headerSegment}.${otherPayload}.${signatureSegment}`, 'ERR_TOKEN_SIGNATURE');
  });

  test('signature with another key', () => {
    assertRejected(signHs256(claims, otherKey), 'ERR_TOKEN_SIGNATURE');
  });

  test('truncated signature of 16 bytes', () => {
    const truncated = encodeBase64Url(Buffer.from(signatureSegment, 'base64url').subarray(0, 16));

    assertRejected(`${headerSegment}.${payloadSegment}.${truncated}`, 'ERR_TOKEN_SIGNATURE');
  });

  test('signature with one more byte', () => {
    const longer = encodeBase64Url(
      Buffer.concat([Buffer.from(signatureSegment, 'base64url'), Buffer.of(0)]),
    );

    assertRejected(`${headerSegment}.${payloadSegment}.${longer}`, 'ERR_TOKEN_SIGNATURE');
  });

  test('signature in the other letter case', () => {
    // The last character keeps its case, which keeps its unused bits zero.
    const swapped = [...signatureSegment.slice(0, -1)]
      .map((character) =>
        character === character.toUpperCase() ? character.toLowerCase() : character.toUpperCase(),
      )
      .join('')
      .concat(signatureSegment.slice(-1));
    assert.notEqual(swapped, signatureSegment);

    assertRejected(`${headerSegment}.${payloadSegment}.${swapped}`, 'ERR_TOKEN_SIGNATURE');
  });
});

describe('structure attacks', () => {
  const shapes = [
    { name: 'two segments', token: `${headerSegment}.${payloadSegment}` },
    { name: 'four segments', token: `${valid}.${signatureSegment}` },
    { name: 'five segments like a JWE', token: `${valid}.a.b` },
    { name: 'a valid token with a trailing dot', token: `${valid}.` },
    { name: 'a valid token with a leading dot', token: `.${valid}` },
    { name: 'an empty header segment', token: `.${payloadSegment}.${signatureSegment}` },
    { name: 'only dots', token: '..' },
    { name: 'a one-dot leader instead of dots', token: valid.replaceAll('.', '\u2024') },
    { name: 'a NUL after the signature', token: `${valid}\u0000` },
  ];
  for (const { name, token } of shapes) {
    test(`${name}`, () => {
      assertRejected(token, 'ERR_TOKEN_MALFORMED');
    });
  }

  for (const space of [' ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\ufeff']) {
    test(`whitespace ${JSON.stringify(space)} at every position`, () => {
      for (let index = 0; index <= valid.length; index++) {
        assertMalformed(`${valid.slice(0, index)}${space}${valid.slice(index)}`);
      }
    });
  }

  for (const [segment, name] of ['header', 'payload', 'signature'].entries()) {
    test(`padding "=" and "==" after the ${name}`, () => {
      for (const padding of ['=', '==']) {
        const segments = valid.split('.');
        segments[segment] = `${segments[segment] ?? ''}${padding}`;

        assertRejected(segments.join('.'), 'ERR_TOKEN_MALFORMED');
      }
    });
  }

  test('"+" and "/" from the standard base64 alphabet', () => {
    // ">>>" and "???" encode to "Pj4-" and "Pz8_", which standard base64 writes with
    // "+" and "/". Node's decoder reads both alphabets, so the codec must check first.
    const token = signHs256({ ...claims, sub: '>>>???' }, key);
    const standard = token.replaceAll('-', '+').replaceAll('_', '/');
    assert.notEqual(standard, token);
    assert.deepEqual(decodeJwt(token).payload['sub'], '>>>???');

    assertRejected(standard, 'ERR_TOKEN_MALFORMED');
  });

  test('"+" or "/" in the signature', () => {
    let token = valid;
    for (let index = 0; !/[-_]/.test(token.split('.')[2] ?? ''); index++) {
      token = signHs256({ ...claims, jti: `${index}` }, key);
    }
    const [header, payload, signature = ''] = token.split('.');
    const standard = signature.replaceAll('-', '+').replaceAll('_', '/');

    assertRejected(`${header}.${payload}.${standard}`, 'ERR_TOKEN_MALFORMED');
  });

  test('non-canonical last character in each segment', () => {
    // Header and payload lengths that leave unused bits in the last character.
    const token = signRaw('{"alg":"HS256" }', '{"sub":"marco" }');
    const segments = token.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    assert.equal(verifyPayload(token)['sub'], 'marco');

    for (let segment = 0; segment < 3; segment++) {
      const text = segments[segment] ?? '';
      assert.notEqual(text.length % 4, 0);
      const next = alphabet[alphabet.indexOf(text.at(-1) ?? '') + 1] ?? '';
      const changed = segments.with(segment, `${text.slice(0, -1)}${next}`);
      // The changed segment still decodes to the same bytes in a lenient decoder.
      const lenient = Buffer.from(changed[segment] ?? '', 'base64url');
      assert.deepEqual(lenient, Buffer.from(text, 'base64url'));

      assertRejected(changed.join('.'), 'ERR_TOKEN_MALFORMED');
    }
  });

  test('tokens longer than MAX_TOKEN_LENGTH', () => {
    for (const length of [MAX_TOKEN_LENGTH + 1, 100_000, 10_000_000]) {
      const token = `${valid}${'A'.repeat(length - valid.length)}`;

      assertRejected(token, 'ERR_TOKEN_MALFORMED');
      assert.throws(
        () => decodeJwt(token),
        (error) => isAtsAuthError(error, 'ERR_TOKEN_MALFORMED'),
      );
    }
  });
});

describe('JSON attacks', () => {
  const invalidUtf8 = [
    { name: 'byte 0xff', bytes: [0xff] },
    { name: 'overlong slash', bytes: [0xc0, 0xaf] },
    { name: 'UTF-16 surrogate', bytes: [0xed, 0xa0, 0x80] },
    { name: 'truncated sequence', bytes: [0xe2, 0x82] },
    { name: 'code point above U+10FFFF', bytes: [0xf4, 0x90, 0x80, 0x80] },
  ];
  for (const { name, bytes } of invalidUtf8) {
    const inString = (prefix: string) =>
      Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from('"}')]);

    test(`invalid UTF-8 in the header: ${name}`, () => {
      assertMalformed(signRaw(inString('{"alg":"HS256","kid":"'), payloadJson));
    });

    test(`invalid UTF-8 in the payload: ${name}`, () => {
      assertRejected(signRaw('{"alg":"HS256"}', inString('{"sub":"')), 'ERR_TOKEN_MALFORMED');
    });
  }

  test('byte order mark before the header', () => {
    assertRejected(signRaw('\ufeff{"alg":"HS256"}', payloadJson), 'ERR_TOKEN_MALFORMED');
  });

  test('byte order mark before the payload', () => {
    assertRejected(signRaw('{"alg":"HS256"}', `\ufeff${payloadJson}`), 'ERR_TOKEN_MALFORMED');
  });

  for (const json of ['["HS256"]', '"HS256"', '256', 'null', 'true', '']) {
    test(`header that is not an object: ${JSON.stringify(json)}`, () => {
      assertRejected(signRaw(json, payloadJson), 'ERR_TOKEN_MALFORMED');
    });
  }

  for (const json of ['[{"sub":"marco"}]', '"marco"', '1900000000', 'null', 'false', '', ' ']) {
    test(`payload that is not an object: ${JSON.stringify(json)}`, () => {
      assertRejected(signRaw('{"alg":"HS256"}', json), 'ERR_TOKEN_MALFORMED');
    });
  }

  test('payload with trailing data after the object', () => {
    assertRejected(signRaw('{"alg":"HS256"}', `${payloadJson}{}`), 'ERR_TOKEN_MALFORMED');
  });

  const duplicates = [
    { name: 'alg in the header', header: '{"alg":"none","alg":"HS256"}', payload: payloadJson },
    { name: 'typ in the header', header: '{"alg":"HS256","typ":"at+jwt","typ":"JWT"}' },
    { name: 'sub in the payload', payload: '{"sub":"marco","sub":"admin"}' },
    { name: 'an escaped name', payload: '{"sub":"marco","\\u0073ub":"admin"}' },
    { name: 'spaced members', payload: '{ "sub" : "marco" , "sub" : "admin" }' },
    { name: 'values with colons', payload: '{"iss":"https://a/","iss":"https://b/"}' },
    { name: 'a nested object', payload: '{"roles":{"admin":false,"admin":true}}' },
    { name: 'an object in an array', payload: '{"a":[1,{"b":"x:y","b":2}]}' },
    { name: 'exp in the payload', payload: '{"exp":1,"exp":99999999999}' },
  ];
  for (const { name, header = '{"alg":"HS256"}', payload = '{}' } of duplicates) {
    test(`duplicate member: ${name}`, () => {
      assertRejected(signRaw(header, payload), 'ERR_TOKEN_MALFORMED');
    });
  }

  test('same name in different objects is not a duplicate', () => {
    const token = signRaw('{"alg":"HS256"}', '{"a":{"a":"x:y"},"b":[{"a":1},{"a":2}]}');

    assert.deepEqual(verifyPayload(token), { a: { a: 'x:y' }, b: [{ a: 1 }, { a: 2 }] });
  });

  test('deep nesting over the length limit', () => {
    const depth = 100_000;
    const token = signRaw('{"alg":"HS256"}', `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);

    assertRejected(token, 'ERR_TOKEN_MALFORMED');
  });

  test('deep nesting within the length limit', () => {
    const arrays = 2000;
    const objects = 250;
    const nestedArrays = `${'['.repeat(arrays)}${']'.repeat(arrays)}`;
    const nestedObjects = `${'{"b":'.repeat(objects)}1${'}'.repeat(objects)}`;
    const payload = `{"a":${nestedArrays},"b":${nestedObjects}}`;
    const token = signRaw('{"alg":"HS256"}', payload);
    assert.ok(token.length <= MAX_TOKEN_LENGTH);

    const decoded = verifyPayload(token);
    let depth = 0;
    for (let value = decoded['a']; Array.isArray(value); value = value[0]) depth++;
    assert.equal(depth, arrays);
  });

  test('unbalanced deep nesting within the length limit', () => {
    assertRejected(signRaw('{"alg":"HS256"}', `{"a":${'['.repeat(5000)}}`), 'ERR_TOKEN_MALFORMED');
  });

  test('__proto__ members do not pollute prototypes', () => {
    const payload =
      '{"sub":"marco","__proto__":{"admin":true,"exp":0},' +
      '"constructor":{"prototype":{"admin":true}}}';
    const token = signRaw('{"alg":"HS256","__proto__":{"polluted":true}}', payload);
    const decoded = verifyHs256(token, key, { nowSeconds: NOW });

    assert.equal(Object.getPrototypeOf(decoded.payload), Object.prototype);
    assert.equal(Object.getPrototypeOf(decoded.header), Object.prototype);
    assert.equal(Object.hasOwn(decoded.payload, '__proto__'), true);
    assert.equal(decoded.payload['admin'], undefined);
    assert.equal(decoded.header['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['admin'], undefined);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('__proto__ member in a duplicate', () => {
    assertMalformed(signRaw('{"alg":"HS256"}', '{"__proto__":1,"__proto__":2}'));
  });
});

describe('header parameter attacks', () => {
  for (const crit of [[], ['b64'], ['exp'], 'b64', null, {}]) {
    test(`crit ${JSON.stringify(crit)}`, () => {
      assertMalformed(signWithHeader({ crit }));
    });
  }

  for (const b64 of [false, true]) {
    test(`b64 ${b64}`, () => {
      assertMalformed(signWithHeader({ b64, crit: ['b64'] }));
      assertMalformed(signWithHeader({ b64 }));
    });
  }

  test('cty JWT for a nested token', () => {
    assertMalformed(signWithHeader({ cty: 'JWT' }));
  });

  for (const typ of ['at+jwt', 'application/at+jwt', 'JOSE', 'secevent+jwt', 'dpop+jwt']) {
    test(`typ ${JSON.stringify(typ)} of another token type`, () => {
      assertMalformed(signWithHeader({ typ }));
    });
  }
});

describe('claim attacks', () => {
  const rawValues = [
    { name: 'a string', json: '"1900003600"' },
    { name: '"NaN"', json: '"NaN"' },
    { name: 'null', json: 'null' },
    { name: 'true', json: 'true' },
    { name: 'false', json: 'false' },
    { name: 'an array', json: '[1900003600]' },
    { name: 'an object', json: '{"$numberLong":"1900003600"}' },
    { name: '1e999, which parses to Infinity', json: '1e999' },
    { name: '-1e999, which parses to -Infinity', json: '-1e999' },
  ];
  for (const name of ['exp', 'nbf', 'iat']) {
    for (const { name: kind, json } of rawValues) {
      test(`${name} as ${kind}`, () => {
        const token = signRaw('{"alg":"HS256"}', `{"sub":"marco","${name}":${json}}`);

        assertRejected(token, 'ERR_TOKEN_MALFORMED');
      });
    }
  }

  test('negative exp', () => {
    assertRejected(signHs256({ ...claims, exp: -1 }, key), 'ERR_TOKEN_EXPIRED');
  });

  test('negative nbf and iat are in the past', () => {
    assert.equal(verifyPayload(signHs256({ ...claims, nbf: -1, iat: -1 }, key))['nbf'], -1);
  });

  test('huge exp verifies without overflow', () => {
    const token = signRaw('{"alg":"HS256"}', '{"exp":1.7976931348623157e308}');

    assert.equal(verifyPayload(token, { minValiditySeconds: 1e300 })['exp'], Number.MAX_VALUE);
  });

  test('huge nbf is never valid yet', () => {
    assertRejected(signRaw('{"alg":"HS256"}', '{"nbf":1e308}'), 'ERR_TOKEN_NOT_YET_VALID');
  });

  test('exp in the past at the leeway boundary', () => {
    const leewaySeconds = 30;
    const atBoundary = signHs256({ ...claims, exp: NOW - leewaySeconds }, key);
    const inside = signHs256({ ...claims, exp: NOW - leewaySeconds + 0.001 }, key);

    assertRejected(atBoundary, 'ERR_TOKEN_EXPIRED', { leewaySeconds });
    assertRejected(inside, 'ERR_TOKEN_EXPIRED');
    assert.equal(verifyPayload(inside, { leewaySeconds })['sub'], 'marco');
  });

  test('nbf in the future beyond the leeway', () => {
    const leewaySeconds = 30;
    const atBoundary = signHs256({ ...claims, nbf: NOW + leewaySeconds }, key);
    const beyond = signHs256({ ...claims, nbf: NOW + leewaySeconds + 0.001 }, key);

    assertRejected(beyond, 'ERR_TOKEN_NOT_YET_VALID', { leewaySeconds });
    assertRejected(atBoundary, 'ERR_TOKEN_NOT_YET_VALID');
    assert.equal(verifyPayload(atBoundary, { leewaySeconds })['sub'], 'marco');
  });

  test('claims are checked only after the signature', () => {
    const forged = signRaw('{"alg":"HS256"}', '{"exp":"never"}', otherKey);

    assertRejected(forged, 'ERR_TOKEN_SIGNATURE');
  });
});
