/**
 * JWS compact serialization with HS256 (RFC 7515 and RFC 7518, section 3.2), the only
 * algorithm ats.auth issues. Decoding is strict: at most MAX_TOKEN_LENGTH characters,
 * exactly three segments of canonical base64url, UTF-8 JSON objects without duplicate
 * member names, `alg` exactly "HS256", no `crit`, `b64` or `cty`, and `typ` absent or JWT.
 */

import { Buffer } from 'node:buffer';
import type * as NodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { AtsAuthError } from '../errors.ts';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { validateClaims } from './claims.ts';
import type { ClaimOptions } from './claims.ts';
import { decodeUtf8, isJsonObject, parseJsonObject } from './json.ts';
import type { JsonObject } from './json.ts';

export type { JsonObject } from './json.ts';

/** Maximum token length accepted, in characters. Tokens from ats.auth are about 250. */
export const MAX_TOKEN_LENGTH = 8192;

/** Length of an HS256 signature: the full HMAC-SHA-256 output, never truncated. */
export const HS256_SIGNATURE_BYTES = 32;
const SIGNATURE_SEGMENT_LENGTH = Math.ceil((HS256_SIGNATURE_BYTES * 4) / 3);

// verifyHs256() compares signatures as base64url text in these buffers: UTF-16 keeps
// every code unit, so equal bytes mean equal text, and reusing them saves two allocations.
const expectedUnits = Buffer.alloc(SIGNATURE_SEGMENT_LENGTH * 2);
const actualUnits = Buffer.alloc(SIGNATURE_SEGMENT_LENGTH * 2);

/** The header ats.auth writes; tokens that carry it skip header parsing. */
const HEADER_SEGMENT = encodeBase64Url('{"alg":"HS256","typ":"JWT"}');

let cryptoModule: typeof NodeCrypto | undefined;

/**
 * Loads node:crypto on first use. Loading it initialises OpenSSL, which adds about 5 ms to
 * the start of the CLI (docs/BENCHMARKS.md), and `token decode` without a secret needs none.
 */
function loadCrypto(): typeof NodeCrypto {
  cryptoModule ??= process.getBuiltinModule('node:crypto');

  return cryptoModule;
}

/** A token split into its parts; nothing in it is trusted until verifyHs256() returns it. */
export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  /** The first two segments joined by a dot: the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** The parts of a token that can be checked before its signature. */
interface TokenSegments {
  header: JsonObject;
  payloadText: string;
  signingInput: string;
  signatureSegment: string;
}

/**
 * Secret size RFC 7518, section 3.2 requires for HS256, in bytes. createHs256Key() accepts
 * shorter secrets, because deployments may already use them, so callers should warn.
 */
export const HS256_MIN_SECRET_BYTES = 32;

/** Makes the HMAC key object once, so that signing and verifying do not rebuild it. */
export function createHs256Key(secret: string | Uint8Array): KeyObject {
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
    throw new TypeError('The HS256 secret must be a string or a Uint8Array');
  }

  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.byteLength === 0) throw new TypeError('The HS256 secret must not be empty');

  return loadCrypto().createSecretKey(bytes);
}

/** Signs `payload` with HS256 under the ats.auth header and returns the compact token. */
export function signHs256(payload: JsonObject, key: KeyObject): string {
  if (!isJsonObject(payload)) throw new TypeError('The JWT payload must be a plain object');

  const signingInput = `${HEADER_SEGMENT}.${encodeBase64Url(JSON.stringify(payload))}`;
  const hmac = loadCrypto().createHmac('sha256', key);
  const signature = hmac.update(signingInput).digest('base64url');

  return `${signingInput}.${signature}`;
}

/** Splits a compact JWS and decodes its header and the payload text, not its JSON. */
function readSegments(token: unknown): TokenSegments {
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
    headerSegment === HEADER_SEGMENT ? { alg: 'HS256', typ: 'JWT' } : decodeHeader(headerSegment);
  const payloadBytes = decodeBase64Url(token.slice(firstDot + 1, secondDot), 'the token payload');

  return {
    header,
    payloadText: decodeUtf8(payloadBytes, 'token payload'),
    signingInput: token.slice(0, secondDot),
    signatureSegment: token.slice(secondDot + 1),
  };
}

function decodeHeader(segment: string): JsonObject {
  const text = decodeUtf8(decodeBase64Url(segment, 'the token header'), 'token header');

  return parseJsonObject(text, 'token header');
}

/** Splits and decodes a compact JWS without checking its header, signature or claims. */
export function decodeJwt(token: unknown): DecodedJwt {
  const { header, payloadText, signingInput, signatureSegment } = readSegments(token);
  const signature = decodeBase64Url(signatureSegment, 'the token signature');
  const payload = parseJsonObject(payloadText, 'token payload');

  return { header, payload, signingInput, signature };
}

/** Returns a header parameter for a message: quoted and cut short, or its JSON type. */
function describeParameter(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 32));

  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';

  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isJwtMediaType(typ: string): boolean {
  const lower = typ.toLowerCase();

  return lower === 'jwt' || lower === 'application/jwt';
}

/** Throws unless the header requests exactly HS256 and no feature this codec lacks. */
export function checkHeader(header: JsonObject): void {
  const alg = Object.hasOwn(header, 'alg') ? header['alg'] : undefined;
  if (alg !== 'HS256') {
    throw new AtsAuthError(
      'ERR_TOKEN_ALG',
      `Algorithm not allowed: "alg" is ${describeParameter(alg)}, only "HS256" is accepted`,
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

  // RFC 7519, section 5.2: "cty" announces a nested JWT or other content, not claims.
  if (Object.hasOwn(header, 'cty')) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', 'Unsupported "cty" header parameter');
  }

  // Media types compare case-insensitively, and a "typ" without "/" implies
  // "application/" (RFC 7515, section 4.1.9). Any other type, such as "at+jwt", is a
  // token meant for another verifier, so it is rejected rather than ignored.
  const typ = Object.hasOwn(header, 'typ') ? header['typ'] : undefined;
  if (typ !== undefined && (typeof typ !== 'string' || !isJwtMediaType(typ))) {
    throw new AtsAuthError(
      'ERR_TOKEN_MALFORMED',
      `Unsupported "typ" header parameter: ${describeParameter(typ)}, only "JWT" or ` +
        '"application/jwt" (in any case) is accepted',
    );
  }
}

function assertSecretKey(key: KeyObject): void {
  // An RSA or EC public key here would be the algorithm confusion attack: only a secret
  // key can verify an HMAC.
  if ((key as KeyObject | undefined)?.type !== 'secret') {
    throw new TypeError('The HS256 key must be a secret KeyObject from createHs256Key()');
  }
}

/** Returns whether the signature of a decoded token matches `key`, in constant time. */
export function hasValidSignature(
  decoded: Pick<DecodedJwt, 'signingInput' | 'signature'>,
  key: KeyObject,
): boolean {
  assertSecretKey(key);

  // A truncated HMAC is weaker and RFC 7518, section 3.2 never allows it for HS256.
  if (decoded.signature.byteLength !== HS256_SIGNATURE_BYTES) return false;

  const { createHmac, timingSafeEqual } = loadCrypto();
  const expected = createHmac('sha256', key).update(decoded.signingInput).digest();

  return timingSafeEqual(expected, decoded.signature);
}

/**
 * Returns whether `segment` is the base64url HS256 signature of `signingInput`, in
 * constant time. Only canonical base64url of all 32 bytes can equal the encoder's output,
 * so this also rejects truncated and non-canonical signatures without decoding them.
 */
function matchesSignatureSegment(signingInput: string, segment: string, key: KeyObject): boolean {
  assertSecretKey(key);
  if (segment.length !== SIGNATURE_SEGMENT_LENGTH) return false;

  const { createHmac, timingSafeEqual } = loadCrypto();
  const expected = createHmac('sha256', key).update(signingInput).digest('base64url');
  expectedUnits.write(expected, 'utf16le');
  actualUnits.write(segment, 'utf16le');

  return timingSafeEqual(expectedUnits, actualUnits);
}

/**
 * Verifies an HS256 token: structure, header, signature, then the payload JSON, the time
 * claims and any claim `options` require. Returns the decoded token or throws an
 * AtsAuthError; throws a TypeError when `key` is not a secret KeyObject.
 */
export function verifyHs256(
  token: unknown,
  key: KeyObject,
  options: ClaimOptions = {},
): DecodedJwt {
  const { header, payloadText, signingInput, signatureSegment } = readSegments(token);
  checkHeader(header);

  if (!matchesSignatureSegment(signingInput, signatureSegment, key)) {
    // A segment that is not base64url is malformed, as decodeJwt() reports it. Every
    // other failure gets one message, so that an attacker learns nothing more.
    decodeBase64Url(signatureSegment, 'the token signature');
    throw new AtsAuthError('ERR_TOKEN_SIGNATURE', 'Signature verification failed');
  }

  // Only signed JSON is parsed, which keeps the parser away from forged input.
  const payload = parseJsonObject(payloadText, 'token payload');
  validateClaims(payload, options);
  const signature = Buffer.from(signatureSegment, 'base64url');

  return { header, payload, signingInput, signature };
}
