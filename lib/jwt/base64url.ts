/**
 * Strict base64url (RFC 4648, section 5) without padding, as JWS compact serialization
 * requires (RFC 7515, section 2). Node's own decoder skips characters it does not know and
 * accepts "+", "/" and "=", so every input is checked here first.
 */

import { Buffer } from 'node:buffer';

import { AtsAuthError } from '../errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALPHABET_INDEX = new Int8Array(128).fill(-1);
for (let index = 0; index < ALPHABET.length; index++) {
  ALPHABET_INDEX[ALPHABET.charCodeAt(index)] = index;
}

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function encodeBase64Url(input: Uint8Array | string): string {
  if (typeof input === 'string') return Buffer.from(input, 'utf8').toString('base64url');

  return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('base64url');
}

/**
 * Returns why `text` is not canonical unpadded base64url, or undefined when it is.
 *
 * Canonical means: only the URL-safe alphabet, no padding, a length that is not 1 modulo 4,
 * and zero bits in the unused low bits of the last character (RFC 4648, section 3.5).
 */
export function findBase64UrlProblem(text: string): string | undefined {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 128 || ALPHABET_INDEX[code] === -1) {
      return `contains a character outside the base64url alphabet at offset ${index}`;
    }
  }

  const remainder = text.length % 4;
  if (remainder === 1) return 'has an impossible length';
  if (remainder === 0) return undefined;

  const last = ALPHABET_INDEX[text.charCodeAt(text.length - 1)] ?? 0;
  const unusedBitsMask = remainder === 2 ? 0b1111 : 0b11;
  if ((last & unusedBitsMask) !== 0) return 'has non-zero padding bits in its last character';

  return undefined;
}

/**
 * Decodes canonical unpadded base64url. Throws ERR_TOKEN_MALFORMED, naming `label`, for any
 * other input.
 */
export function decodeBase64Url(text: string, label = 'input'): Buffer {
  if (typeof text !== 'string') throw new TypeError(`Expected ${label} to be a string`);

  // The encoder only ever writes canonical base64url, and canonical text decodes and
  // encodes back to itself, so the round trip is exactly the canonical check. Native
  // code makes it faster than a character loop, which only explains a failure.
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') === text) return bytes;

  const problem = findBase64UrlProblem(text) ?? 'is not canonical';
  throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid base64url in ${label}: it ${problem}`);
}
