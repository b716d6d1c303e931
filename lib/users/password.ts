/**
 * Password hashing with Argon2id (RFC 9106) through the asynchronous `crypto.argon2`, so a
 * hash runs on the libuv thread pool and never blocks the event loop. Hashes are stored as
 * PHC strings: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
 */

import { Buffer } from 'node:buffer';
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Argon2Parameters } from 'node:crypto';

/** Cost of new hashes: the OWASP minimum for Argon2id, 19 MiB of memory and 2 passes. */
export const ARGON2_COST = { memoryKiB: 19456, passes: 2, parallelism: 1 } as const;

/** Maximum password length in UTF-8 bytes; longer input is rejected, never cut. */
export const MAX_PASSWORD_BYTES = 4096;

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const ARGON2_VERSION = 19;

// Bounds on the cost of a stored hash, so that a tampered database row cannot make one
// login allocate gigabytes or run for minutes.
const MAX_MEMORY_KIB = 1 << 20;
const MAX_PASSES = 16;
const MAX_PARALLELISM = 16;

// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, salt and hash in unpadded base64.
const PHC_PATTERN = new RegExp(
  String.raw`^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)` +
    String.raw`\$([A-Za-z0-9+/]{11,}={0,2})\$([A-Za-z0-9+/]{16,}={0,2})$`,
);

/** The parts of an Argon2id PHC string. */
interface Argon2Hash {
  memoryKiB: number;
  passes: number;
  parallelism: number;
  salt: Buffer;
  hash: Buffer;
}

function deriveKey(password: string, hash: Omit<Argon2Hash, 'hash'>, length: number) {
  const parameters: Argon2Parameters = {
    message: Buffer.from(password, 'utf8'),
    nonce: hash.salt,
    parallelism: hash.parallelism,
    tagLength: length,
    memory: hash.memoryKiB,
    passes: hash.passes,
  };

  return new Promise<Buffer>((resolve, reject) => {
    argon2('argon2id', parameters, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Throws a TypeError unless `password` is a non-empty string of at most 4096 bytes. */
export function checkPasswordLength(password: string): void {
  if (password.length === 0) throw new TypeError('The password must not be empty');
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new TypeError(`The password must be at most ${MAX_PASSWORD_BYTES} bytes of UTF-8`);
  }
}

/** Hashes `password` with a fresh random salt and returns the PHC string. */
export async function hashPassword(password: string): Promise<string> {
  checkPasswordLength(password);

  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, { ...ARGON2_COST, salt }, HASH_BYTES);
  const cost = `m=${ARGON2_COST.memoryKiB},t=${ARGON2_COST.passes},p=${ARGON2_COST.parallelism}`;
  const encode = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

  return `$argon2id$v=${ARGON2_VERSION}$${cost}$${encode(salt)}$${encode(hash)}`;
}

/** Parses an Argon2id PHC string, or returns undefined when it is not one we can verify. */
function parseArgon2Hash(phc: string): Argon2Hash | undefined {
  const match = PHC_PATTERN.exec(phc);
  if (match === null) return undefined;

  const [, version, memory, passes, parallelism, salt, hash] = match;
  const parsed = {
    memoryKiB: Number(memory),
    passes: Number(passes),
    parallelism: Number(parallelism),
    salt: Buffer.from(salt ?? '', 'base64'),
    hash: Buffer.from(hash ?? '', 'base64'),
  };
  if (Number(version) !== ARGON2_VERSION) return undefined;
  if (parsed.memoryKiB < 8 * parsed.parallelism || parsed.memoryKiB > MAX_MEMORY_KIB) {
    return undefined;
  }
  if (parsed.passes < 1 || parsed.passes > MAX_PASSES) return undefined;
  if (parsed.parallelism < 1 || parsed.parallelism > MAX_PARALLELISM) return undefined;

  return parsed;
}

/**
 * Returns whether `password` matches the PHC string `phc`, comparing in constant time.
 * A PHC string that is not Argon2id version 19 within sane cost bounds never matches.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const stored = parseArgon2Hash(phc);
  if (stored === undefined || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    return false;
  }

  const candidate = await deriveKey(password, stored, stored.hash.byteLength);

  return timingSafeEqual(candidate, stored.hash);
}
