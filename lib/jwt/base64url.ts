/**
 * Strict base64url (RFC 4648, section 5) without padding, as JWS compact serialization
 * requires (RFC 7515, section 2). Node's own decoder skips characters it does not know, so
 * every input is checked here first.
 */

import { Buffer } from 'node:buffer';

import { AtsAuthError } from '../errors.ts';

const ALPHABET = /^[A-Za-z0-9_-]*$/;
const ALPHABET_INDEX = new Int8Array(128).fill(-1);
for (const [index, char] of [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
].entries()) {
  ALPHABET_INDEX[char.charCodeAt(0)] = index;
}

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function encodeBase64Url(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;

  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Returns why `text` is not canonical unpadded base64url, or undefined when it is.
 *
 * Canonical means: only the URL-safe alphabet, no padding, a length that is not 1 modulo 4,
 * and zero bits in the unused low bits of the last character (RFC 4648, section 3.5).
 */
export function findBase64UrlProblem(text: string): string | undefined {
  if (!ALPHABET.test(text)) return 'contains a character outside the base64url alphabet';

  const remainder = text.length % 4;
  if (remainder === 1) return 'has an impossible length';
  if (remainder === 0) return undefined;

  const last = ALPHABET_INDEX[text.charCodeAt(text.length - 1)] ?? 0;
  const unusedBitsMask = remainder === 2 ? 0b1111 : 0b11;
  if ((last & unusedBitsMask) !== 0) return 'has non-zero padding bits in its last character';

  return undefined;
}

/**
 * Decodes canonical unpadded base64url. Throws ERR_TOKEN_MALFORMED, naming `what`, for any
 * other input.
 */
export function decodeBase64Url(text: string, what = 'input'): Buffer {
  const problem = findBase64UrlProblem(text);
  if (problem !== undefined) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid base64url in ${what}: it ${problem}`);
  }

  return Buffer.from(text, 'base64url');
}
