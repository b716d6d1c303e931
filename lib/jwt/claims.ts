/**
 * Registered claim checks (RFC 7519, section 4.1). NumericDate values are seconds since the
 * epoch and may carry a fraction, as ats.auth writes microseconds.
 */

import { AtsAuthError } from '../errors.ts';
import type { JsonObject } from './jws.ts';

/** What a caller requires of a token's claims beyond its time window. */
export interface ClaimOptions {
  /** Current time in NumericDate seconds; defaults to the system clock. */
  nowSeconds?: number;
  /** Clock skew tolerated between issuer and verifier, in seconds. */
  leewaySeconds?: number;
  issuer?: string;
  subject?: string;
  /** Reject a token that expires within this many seconds of `nowSeconds`. */
  minValiditySeconds?: number;
}

const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/** Returns the current time as NumericDate seconds with microsecond precision. */
export function nowSeconds(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1e6;
}

/** Throws ERR_TOKEN_MALFORMED unless each time claim present is a finite number. */
function checkTimeClaimTypes(payload: JsonObject): void {
  for (const name of TIME_CLAIMS) {
    if (!Object.hasOwn(payload, name)) continue;

    const value = payload[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new AtsAuthError(
        'ERR_TOKEN_MALFORMED',
        `Invalid "${name}" claim: expected a NumericDate number, got ${typeof value}`,
      );
    }
  }
}

function checkStringClaim(payload: JsonObject, name: 'iss' | 'sub', expected?: string): void {
  if (expected === undefined) return;

  const actual = Object.hasOwn(payload, name) ? payload[name] : undefined;
  if (actual !== expected) {
    throw new AtsAuthError(
      'ERR_TOKEN_CLAIM',
      `Unexpected "${name}" claim: expected ${JSON.stringify(expected)}`,
    );
  }
}

/**
 * Validates the time window and required claims of a payload whose signature has been
 * checked. Throws an AtsAuthError whose code names the first failed check.
 */
export function validateClaims(payload: JsonObject, options: ClaimOptions = {}): void {
  checkTimeClaimTypes(payload);

  const now = options.nowSeconds ?? Date.now() / 1000;
  const leeway = options.leewaySeconds ?? 0;
  const exp = payload['exp'] as number | undefined;
  const nbf = payload['nbf'] as number | undefined;

  if (nbf !== undefined && now + leeway < nbf) {
    throw new AtsAuthError('ERR_TOKEN_NOT_YET_VALID', 'Token is not yet valid: "nbf" is ahead');
  }

  if (exp !== undefined && now - leeway >= exp) {
    throw new AtsAuthError('ERR_TOKEN_EXPIRED', 'Token has expired');
  }

  checkStringClaim(payload, 'iss', options.issuer);
  checkStringClaim(payload, 'sub', options.subject);

  const minValidity = options.minValiditySeconds;
  if (minValidity !== undefined && exp !== undefined && exp - now < minValidity) {
    throw new AtsAuthError(
      'ERR_TOKEN_EXPIRES_SOON',
      `Token expires in ${Math.max(0, Math.floor(exp - now))} s, less than the ${minValidity} s required`,
    );
  }
}
