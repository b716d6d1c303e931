/**
 * Registered claim checks (RFC 7519, section 4.1). NumericDate values are seconds since the
 * epoch and may carry a fraction, as ats.auth writes microseconds.
 */

import { AtsAuthError } from '../errors.ts';
import type { JsonObject } from './json.ts';

/** Requirements on a token's claims beyond its time window. */
export interface ClaimOptions {
  /** Current time in NumericDate seconds, the system clock by default. */
  nowSeconds?: number;
  /** Clock skew tolerated between issuer and verifier, in seconds, 0 by default. */
  leewaySeconds?: number;
  issuer?: string;
  subject?: string;
  /** Reject a token that expires within this many seconds of `nowSeconds`. */
  minValiditySeconds?: number;
}

/**
 * Returns the monotonic clock in milliseconds. It reads process.hrtime() rather than
 * performance.now(), because the first use of `performance` loads Node's perf_hooks
 * modules, about 0.5 ms of the start of `token decode`.
 */
function readMonotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();

  return seconds * 1e3 + nanoseconds / 1e6;
}

// The monotonic clock has sub-millisecond resolution, but it stops while the machine
// sleeps and ignores wall-clock corrections. So its offset to Date.now() is taken again
// whenever the two drift further apart than this.
const MAX_CLOCK_DRIFT_MS = 100;
let wallClockOffsetMs = Date.now() - readMonotonicMs();

/** Returns the current wall-clock time as NumericDate seconds with microsecond precision. */
export function nowSeconds(): number {
  const monotonicMs = readMonotonicMs();
  const wallMs = Date.now();
  let nowMs = wallClockOffsetMs + monotonicMs;
  if (Math.abs(nowMs - wallMs) > MAX_CLOCK_DRIFT_MS) {
    wallClockOffsetMs = wallMs - monotonicMs;
    nowMs = wallMs;
  }

  return Math.round(nowMs * 1000) / 1e6;
}

function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 32));
  if (value === null) return 'null';

  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Returns the NumericDate claim `name`, or undefined when the payload has none. Throws
 * ERR_TOKEN_MALFORMED for anything but a finite number: a string, null, a boolean, or a
 * number too large for a double, which JSON.parse turns into Infinity.
 */
function readTimeClaim(payload: JsonObject, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  if (!Object.hasOwn(payload, name)) return undefined;

  const value = payload[name];
  if (typeof value === 'number' && Number.isFinite(value)) return value;

  throw new AtsAuthError(
    'ERR_TOKEN_MALFORMED',
    `Invalid "${name}" claim: expected a NumericDate number, got ${describeValue(value)}`,
  );
}

function checkStringClaim(payload: JsonObject, name: 'iss' | 'sub', expected?: string): void {
  if (expected === undefined) return;

  const actual = Object.hasOwn(payload, name) ? payload[name] : undefined;
  if (actual !== expected) {
    const found = actual === undefined ? 'none' : describeValue(actual);
    throw new AtsAuthError(
      'ERR_TOKEN_CLAIM',
      `Unexpected "${name}" claim: expected ${JSON.stringify(expected)}, got ${found}`,
    );
  }
}

function checkOption(name: keyof ClaimOptions, value: number | undefined): void {
  if (value === undefined) return;
  if (Number.isFinite(value) && (name === 'nowSeconds' || value >= 0)) return;

  const range = name === 'nowSeconds' ? 'a finite number' : 'a finite number, 0 or more';
  throw new TypeError(`The ${name} option must be ${range}, got ${String(value)}`);
}

/**
 * Validates the time window and required claims of a payload whose signature has been
 * checked. Throws an AtsAuthError whose code names the first failed check, or a TypeError
 * for an option that is not a number, or is negative where only a duration makes sense.
 */
export function validateClaims(payload: JsonObject, options: ClaimOptions = {}): void {
  checkOption('nowSeconds', options.nowSeconds);
  checkOption('leewaySeconds', options.leewaySeconds);
  checkOption('minValiditySeconds', options.minValiditySeconds);

  const exp = readTimeClaim(payload, 'exp');
  const nbf = readTimeClaim(payload, 'nbf');
  readTimeClaim(payload, 'iat');

  const now = options.nowSeconds ?? Date.now() / 1000;
  const leeway = options.leewaySeconds ?? 0;

  // RFC 7519, section 4.1.5: valid from "nbf" on, so only a "nbf" still ahead fails.
  if (nbf !== undefined && now + leeway < nbf) {
    throw new AtsAuthError(
      'ERR_TOKEN_NOT_YET_VALID',
      `Token is not yet valid: "nbf" is ${Math.ceil(nbf - now)} s ahead of this clock`,
    );
  }

  // RFC 7519, section 4.1.4: valid only before "exp", so now === exp has expired.
  if (exp !== undefined && now - leeway >= exp) {
    throw new AtsAuthError(
      'ERR_TOKEN_EXPIRED',
      `Token has expired: "exp" passed ${Math.floor(now - exp)} s ago, request a new token`,
    );
  }

  checkStringClaim(payload, 'iss', options.issuer);
  checkStringClaim(payload, 'sub', options.subject);

  const minValidity = options.minValiditySeconds;
  if (minValidity !== undefined && exp !== undefined && exp - now < minValidity) {
    throw new AtsAuthError(
      'ERR_TOKEN_EXPIRES_SOON',
      `Token expires in ${Math.max(0, Math.floor(exp - now))} s, ` +
        `less than the ${minValidity} s required: request a new token`,
    );
  }
}
