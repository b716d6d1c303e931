/**
 * JWS compact serialization with HS256 (RFC 7515 and RFC 7518, section 3.2), the only
 * algorithm ats.auth issues. Decoding is strict: exactly three segments, canonical
 * base64url, UTF-8 JSON objects, `alg` exactly "HS256" and no `crit`.
 */

import { Buffer } from 'node:buffer';
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { AtsAuthError } from '../errors.ts';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { validateClaims } from './claims.ts';
import type { ClaimOptions } from './claims.ts';

/** Longest token accepted anywhere, in characters; real ats.auth tokens are about 250. */
export const MAX_TOKEN_LENGTH = 8192;

const SIGNATURE_BYTES = 32;
const HEADER_SEGMENT = encodeBase64Url('{"alg":"HS256","typ":"JWT"}');
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export type JsonObject = Record<string, unknown>;

/** A token split into its parts; nothing in it is trusted until verifyHs256() returns it. */
export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  /** The first two segments joined by a dot: the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** Makes the HMAC key object once, so that signing and verifying do not rebuild it. */
export function createHs256Key(secret: string | Uint8Array): KeyObject {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.byteLength === 0) throw new TypeError('The HS256 secret must not be empty');

  return createSecretKey(bytes);
}

/** Signs `payload` with HS256 and returns the compact token. */
export function signHs256(payload: JsonObject, key: KeyObject): string {
  const signingInput = `${HEADER_SEGMENT}.${encodeBase64Url(JSON.stringify(payload))}`;
  const signature = createHmac('sha256', key).update(signingInput).digest('base64url');

  return `${signingInput}.${signature}`;
}

function parseJsonObject(segment: string, what: 'header' | 'payload'): JsonObject {
  const bytes = decodeBase64Url(segment, `the token ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid token ${what}: not UTF-8 JSON`, {
      cause: error,
    });
  }

  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid token ${what}: not a JSON object`);
  }

  return value as JsonObject;
}

/** Splits and decodes a compact JWS without checking its signature or claims. */
export function decodeJwt(token: unknown): DecodedJwt {
  if (typeof token !== 'string') {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', 'Invalid token: expected a string');
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new AtsAuthError(
      'ERR_TOKEN_MALFORMED',
      `Invalid token: ${token.length} characters, the maximum is ${MAX_TOKEN_LENGTH}`,
    );
  }

  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || token.includes('.', secondDot + 1)) {
    throw new AtsAuthError(
      'ERR_TOKEN_MALFORMED',
      'Invalid token: expected three base64url segments separated by dots',
    );
  }

  const headerSegment = token.slice(0, firstDot);
  const header =
    headerSegment === HEADER_SEGMENT
      ? { alg: 'HS256', typ: 'JWT' }
      : parseJsonObject(headerSegment, 'header');
  const payload = parseJsonObject(token.slice(firstDot + 1, secondDot), 'payload');
  const signature = decodeBase64Url(token.slice(secondDot + 1), 'the token signature');

  return { header, payload, signingInput: token.slice(0, secondDot), signature };
}

/** Throws unless the header asks for exactly HS256 and nothing this codec does not do. */
function checkHeader(header: JsonObject): void {
  const alg = Object.hasOwn(header, 'alg') ? header['alg'] : undefined;
  if (alg !== 'HS256') {
    const shown = typeof alg === 'string' ? JSON.stringify(alg.slice(0, 32)) : 'missing';
    throw new AtsAuthError(
      'ERR_TOKEN_ALG',
      `Algorithm not allowed: "alg" is ${shown}, only "HS256" is accepted`,
    );
  }

  // RFC 7515, section 4.1.11: a recipient that does not understand every listed
  // extension must reject the token, and this codec understands none.
  if (Object.hasOwn(header, 'crit')) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', 'Unsupported "crit" header parameter');
  }

  // RFC 7797 unencoded payloads change what the signature covers.
  if (Object.hasOwn(header, 'b64')) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', 'Unsupported "b64" header parameter');
  }
}

/** Returns whether the signature of a decoded token matches `key`, in constant time. */
export function hasValidSignature(decoded: DecodedJwt, key: KeyObject): boolean {
  if (decoded.signature.byteLength !== SIGNATURE_BYTES) return false;

  const expected = createHmac('sha256', key).update(decoded.signingInput).digest();

  return timingSafeEqual(expected, decoded.signature);
}

/**
 * Verifies an HS256 token: structure, header, signature, then the time claims and any
 * claim `options` require. Returns the decoded token or throws an AtsAuthError.
 */
export function verifyHs256(
  token: unknown,
  key: KeyObject,
  options: ClaimOptions = {},
): DecodedJwt {
  const decoded = decodeJwt(token);
  checkHeader(decoded.header);

  // Every signature failure gets the same message, so that an attacker learns nothing
  // about which part was wrong.
  if (!hasValidSignature(decoded, key)) {
    throw new AtsAuthError('ERR_TOKEN_SIGNATURE', 'Signature verification failed');
  }

  validateClaims(decoded.payload, options);

  return decoded;
}
