import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import type { ErrorCode } from '../lib/errors.ts';
import { nowSeconds, validateClaims } from '../lib/jwt/claims.ts';
import type { ClaimOptions } from '../lib/jwt/claims.ts';
import type { JsonObject } from '../lib/jwt/jws.ts';

function runValidation(payload: JsonObject, options: ClaimOptions): ErrorCode | 'ok' {
  try {
    validateClaims(payload, options);

    return 'ok';
  } catch (error) {
    assert.ok(isAtsAuthError(error), `expected an AtsAuthError, got ${String(error)}`);

    return error.code;
  }
}

describe('validateClaims() time window', () => {
  const cases = [
    { claims: { exp: 100 }, now: 99.999999, leeway: 0, want: 'ok' },
    { claims: { exp: 100 }, now: 100, leeway: 0, want: 'ERR_TOKEN_EXPIRED' },
    { claims: { exp: 100 }, now: 104.9, leeway: 5, want: 'ok' },
    { claims: { exp: 100 }, now: 105, leeway: 5, want: 'ERR_TOKEN_EXPIRED' },
    { claims: { exp: -5 }, now: 0, leeway: 0, want: 'ERR_TOKEN_EXPIRED' },
    { claims: { exp: 1e300 }, now: 2e9, leeway: 0, want: 'ok' },
    { claims: { nbf: 50 }, now: 50, leeway: 0, want: 'ok' },
    { claims: { nbf: 50 }, now: 49.9, leeway: 0, want: 'ERR_TOKEN_NOT_YET_VALID' },
    { claims: { nbf: 50 }, now: 45, leeway: 5, want: 'ok' },
    { claims: { nbf: 50 }, now: 44.9, leeway: 5, want: 'ERR_TOKEN_NOT_YET_VALID' },
    { claims: { nbf: -1e300 }, now: 0, leeway: 0, want: 'ok' },
    { claims: { nbf: 10, exp: 20 }, now: 15, leeway: 0, want: 'ok' },
    { claims: { nbf: 10, exp: 5 }, now: 15, leeway: 0, want: 'ERR_TOKEN_EXPIRED' },
    { claims: { iat: 4e9 }, now: 0, leeway: 0, want: 'ok' },
    { claims: {}, now: 0, leeway: 0, want: 'ok' },
  ] as const;

  for (const { claims, now, leeway, want } of cases) {
    test(`returns ${want} for ${JSON.stringify(claims)} at ${now}, leeway ${leeway}`, () => {
      assert.equal(runValidation(claims, { nowSeconds: now, leewaySeconds: leeway }), want);
    });
  }
});

describe('validateClaims() claim types', () => {
  const values = [
    { name: 'a string', value: '100' },
    { name: 'null', value: null },
    { name: 'a boolean', value: true },
    { name: 'an array', value: [100] },
    { name: 'an object', value: { seconds: 100 } },
    { name: 'Infinity', value: Number.POSITIVE_INFINITY },
    { name: 'NaN', value: Number.NaN },
  ];

  for (const name of ['exp', 'nbf', 'iat']) {
    for (const { name: kind, value } of values) {
      test(`rejects ${name} as ${kind}`, () => {
        assert.equal(runValidation({ [name]: value }, { nowSeconds: 0 }), 'ERR_TOKEN_MALFORMED');
      });
    }
  }

  test('ignores inherited time claims', () => {
    const payload = Object.create({ exp: 0, nbf: 1e12 }) as JsonObject;

    assert.equal(runValidation(payload, { nowSeconds: 100 }), 'ok');
  });
});

describe('validateClaims() options', () => {
  const cases = [
    { name: 'expiry beyond the minimum', options: { minValiditySeconds: 60 }, want: 'ok' },
    { name: 'expiry at the minimum', options: { minValiditySeconds: 100 }, want: 'ok' },
    {
      name: 'expiry within the minimum',
      options: { minValiditySeconds: 100.5 },
      want: 'ERR_TOKEN_EXPIRES_SOON',
    },
    { name: 'matching issuer', options: { issuer: 'ats.auth' }, want: 'ok' },
    { name: 'other issuer', options: { issuer: 'ats.other' }, want: 'ERR_TOKEN_CLAIM' },
    { name: 'matching subject', options: { subject: 'marco' }, want: 'ok' },
    { name: 'other subject', options: { subject: 'Marco' }, want: 'ERR_TOKEN_CLAIM' },
    {
      name: 'expired before the minimum is checked',
      options: { nowSeconds: 200, minValiditySeconds: 10 },
      want: 'ERR_TOKEN_EXPIRED',
    },
  ] as const;
  const payload = { iss: 'ats.auth', sub: 'marco', exp: 200 };

  for (const { name, options, want } of cases) {
    test(`returns ${want} for ${name}`, () => {
      assert.equal(runValidation(payload, { nowSeconds: 100, ...options }), want);
    });
  }

  test('rejects a missing issuer or subject when one is required', () => {
    assert.equal(runValidation({}, { nowSeconds: 0, issuer: 'ats.auth' }), 'ERR_TOKEN_CLAIM');
    assert.equal(runValidation({}, { nowSeconds: 0, subject: 'marco' }), 'ERR_TOKEN_CLAIM');
    assert.equal(runValidation({ sub: 1 }, { nowSeconds: 0, subject: '1' }), 'ERR_TOKEN_CLAIM');
  });

  test('skips the minimum validity without exp', () => {
    assert.equal(runValidation({}, { nowSeconds: 0, minValiditySeconds: 1e9 }), 'ok');
  });

  test('uses the system clock without nowSeconds', () => {
    const now = Date.now() / 1000;

    assert.equal(runValidation({ exp: now + 60, nbf: now - 60 }, {}), 'ok');
    assert.equal(runValidation({ exp: now - 60 }, {}), 'ERR_TOKEN_EXPIRED');
    assert.equal(runValidation({ nbf: now + 60 }, {}), 'ERR_TOKEN_NOT_YET_VALID');
  });

  test('names how long ago a token expired', () => {
    assert.throws(
      () => validateClaims({ exp: 100 }, { nowSeconds: 130.5 }),
      /^AtsAuthError: Token has expired: "exp" passed 30 s ago, request a new token$/,
    );
  });

  const invalid = [
    { name: 'NaN nowSeconds', options: { nowSeconds: Number.NaN } },
    { name: 'infinite nowSeconds', options: { nowSeconds: Number.POSITIVE_INFINITY } },
    { name: 'negative leewaySeconds', options: { leewaySeconds: -1 } },
    { name: 'NaN leewaySeconds', options: { leewaySeconds: Number.NaN } },
    { name: 'negative minValiditySeconds', options: { minValiditySeconds: -1 } },
  ];
  for (const { name, options } of invalid) {
    test(`throws TypeError for ${name}`, () => {
      assert.throws(() => validateClaims({}, options), TypeError);
    });
  }
});

describe('nowSeconds()', () => {
  test('follows the wall clock with microseconds', () => {
    const before = Date.now() / 1000;
    const now = nowSeconds();
    const after = Date.now() / 1000;

    // nowSeconds() may drift up to 0.1 s from Date.now() before it takes a new offset.
    assert.ok(now >= before - 0.1, `${now} is before ${before}`);
    assert.ok(now <= after + 0.1, `${now} is after ${after}`);
    assert.equal(Number(now.toFixed(6)), now);
  });
});
