/**
 * Issuing, checking and revoking ats.auth tokens. Checking is the hot path of
 * GET /token/verify: it reads only memory, and a token whose signature verified once is
 * kept in a bounded cache, so a gateway asking again skips the HMAC and the JSON parsing.
 */

import { createHash, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { AtsAuthError } from '../errors.ts';
import { signHs256, verifyHs256 } from '../jwt/jws.ts';
import type { JsonObject } from '../jwt/jws.ts';
import type { RevocationSet } from '../store/revocation-set.ts';
import { MAX_STORED_US } from '../store/revocations.ts';
import { tokenIdOf } from '../store/token-ids.ts';
import type { TokenId } from '../store/token-ids.ts';
import type { IssuanceClock } from './clock.ts';

export const ISSUER = 'ats.auth';

const JTI_BYTES = 16;
// Latest "iat" or "exp" accepted, 2255-06-05T23:47:34Z: the last whole second whose
// microseconds are a safe integer, so that every time derived from a token stays exact
// and fits the revocation tables.
const MAX_NUMERIC_DATE = Math.floor(MAX_STORED_US / 1e6);
const MAX_JTI_LENGTH = 256;
const CACHE_ENTRIES = 10_000;

// Printable ASCII without leading or trailing space, at most 256 characters. Our user names
// are stricter, but tokens from other ats.auth servers sharing the secret may carry any
// subject that fits in the X-Auth-UserId header.
const SUBJECT_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;

/** Returns whether `value` is a subject that can be sent back in X-Auth-UserId. */
export function isValidSubject(value: unknown): value is string {
  return typeof value === 'string' && SUBJECT_PATTERN.test(value);
}

/** The claims the server relies on, read from a token whose signature verified. */
export interface CheckedToken {
  sub: string;
  iatUs: number;
  expSeconds: number;
  /** The "jti", or "sha256:" and the token's base64url SHA-256 when it has none. */
  revocationKey: string;
  /** The token id of `revocationKey`, made once so that each check only looks it up. */
  revocationId: TokenId;
  /** RevocationSet.version when the token was last found not revoked, or -1. */
  validAtVersion: number;
}

export interface TokenServiceOptions {
  key: KeyObject;
  ttlSeconds: number;
  /** Maximum lifetime of any token on this database, so a revoke-all lasts as long. */
  maxTtlUs: number;
  clock: IssuanceClock;
  revocations: RevocationSet;
}

function claimError(message: string): AtsAuthError {
  return new AtsAuthError('ERR_TOKEN_CLAIM', message);
}

/** Throws ERR_TOKEN_CLAIM unless the NumericDate `value` lies from 1970 to MAX_NUMERIC_DATE. */
function assertTimeInRange(name: 'iat' | 'exp', value: number): void {
  if (value >= 0 && value <= MAX_NUMERIC_DATE) return;

  throw claimError(
    `Invalid "${name}" claim: ${value} is outside the accepted range from 0 (1970) to ` +
      `${MAX_NUMERIC_DATE} (2255)`,
  );
}

function readClaims(token: string, payload: JsonObject): CheckedToken {
  const claim = (name: string) => (Object.hasOwn(payload, name) ? payload[name] : undefined);
  const [sub, iat, exp, jti] = [claim('sub'), claim('iat'), claim('exp'), claim('jti')];
  if (!isValidSubject(sub)) throw claimError('Invalid "sub" claim: expected printable ASCII');
  if (typeof iat !== 'number') throw claimError('Missing "iat" claim');
  if (typeof exp !== 'number') throw claimError('Missing "exp" claim');
  // Every route checks tokens here, so a time out of range is a 401 on each of them.
  assertTimeInRange('iat', iat);
  assertTimeInRange('exp', exp);

  const hasJti = typeof jti === 'string' && jti !== '' && jti.length <= MAX_JTI_LENGTH;
  const revocationKey = hasJti
    ? jti
    : `sha256:${createHash('sha256').update(token).digest('base64url')}`;

  return {
    sub,
    iatUs: Math.round(iat * 1e6),
    expSeconds: exp,
    revocationKey,
    revocationId: tokenIdOf(revocationKey),
    validAtVersion: -1,
  };
}

export class TokenService {
  readonly #options: TokenServiceOptions;
  readonly #cache = new Map<string, CheckedToken>();

  constructor(options: TokenServiceOptions) {
    this.#options = options;
  }

  /**
   * Issues a token for `sub` whose "iat" is after `storedNotBeforeUs`, the user's
   * not-before time as read from the database, and after the one in memory. Resolves once
   * the issuance bound on disk covers the token.
   */
  async issue(sub: string, storedNotBeforeUs: number): Promise<string> {
    const { clock, revocations, key, ttlSeconds } = this.#options;
    const notBeforeUs = Math.max(storedNotBeforeUs, revocations.notBeforeOf(sub));
    const { iatUs, covered } = clock.issue(notBeforeUs);

    // Claims in the order ats.auth has always written them.
    const claims = {
      exp: (iatUs + ttlSeconds * 1e6) / 1e6,
      iat: iatUs / 1e6,
      iss: ISSUER,
      jti: randomBytes(JTI_BYTES).toString('base64url'),
      sub,
    };
    const token = signHs256(claims, key);
    if (covered !== undefined) await covered;

    return token;
  }

  /**
   * Returns the claims of `token` if it is ours, unexpired and not revoked. Throws an
   * AtsAuthError with ERR_TOKEN_REVOKED, ERR_TOKEN_EXPIRED or another token code.
   */
  check(token: string): CheckedToken {
    const { revocations } = this.#options;
    // Revocations of tokens expiring before purgedUntilUs are gone, so a wall clock that
    // stepped back behind it must not bring such a token back to life.
    const nowSeconds = Math.max(Date.now(), revocations.purgedUntilUs / 1000) / 1000;
    const checked = this.#cache.get(token) ?? this.#verify(token, nowSeconds);

    if (nowSeconds >= checked.expSeconds) {
      throw new AtsAuthError('ERR_TOKEN_EXPIRED', 'Token has expired: request a new token');
    }
    // Nothing was revoked since this token last passed, so the lookups would pass again.
    if (checked.validAtVersion === revocations.version) return checked;

    if (revocations.hasTokenId(checked.revocationId)) {
      throw new AtsAuthError('ERR_TOKEN_REVOKED', 'Token has been revoked');
    }
    if (checked.iatUs <= revocations.notBeforeOf(checked.sub)) {
      throw new AtsAuthError('ERR_TOKEN_REVOKED', 'Token has been revoked');
    }

    checked.validAtVersion = revocations.version;
    return checked;
  }

  /** Revokes one checked token; resolves once the revocation is on disk. */
  revoke(checked: CheckedToken): Promise<void> {
    const token = { key: checked.revocationKey, expiresAtUs: Math.ceil(checked.expSeconds * 1e6) };

    return this.#options.revocations.revokeToken(token, checked.revocationId);
  }

  /** Revokes every token of `name` issued up to now; resolves once it is on disk. */
  revokeAll(name: string): Promise<void> {
    const { clock, revocations, maxTtlUs } = this.#options;
    const notBeforeUs = clock.revocationPoint();

    return revocations.revokeUser(name, notBeforeUs, notBeforeUs + maxTtlUs);
  }

  #verify(token: string, nowSeconds: number): CheckedToken {
    const decoded = verifyHs256(token, this.#options.key, { issuer: ISSUER, nowSeconds });
    const checked = readClaims(token, decoded.payload);

    if (this.#cache.size >= CACHE_ENTRIES) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(token, checked);

    return checked;
  }
}
