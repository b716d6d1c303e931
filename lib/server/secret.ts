/**
 * The HS256 secret: ATSAUTH_SERVER_JWT_SECRET when set, otherwise the contents of
 * `<database>.secret`, which the first start creates with 32 random bytes, base64url
 * encoded, readable by the owner only. The secret never appears in a log or an error.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import { AtsAuthError } from '../errors.ts';
import { describeSystemError } from '../system-errors.ts';

export interface JwtSecret {
  value: string;
  /** The file the secret came from or went to; undefined when it came from the environment. */
  path: string | undefined;
  /** Whether this start generated the secret. */
  created: boolean;
  /** Problems worth a log line, such as a file other users can read. */
  warnings: string[];
}

/** RFC 7518, section 3.2: an HS256 key must be at least as long as the hash, 32 bytes. */
const MIN_SECRET_BYTES = 32;

/** Returns the path of the secret file kept beside the database at `dbPath`. */
export function secretPathFor(dbPath: string): string {
  return `${dbPath}.secret`;
}

/** Returns what to do about a failed file operation on the secret file at `path`. */
function fixFor(code: string | undefined, path: string): string {
  switch (code) {
    case 'ENOENT':
      return `create the directory ${dirname(path)}`;
    case 'EACCES':
    case 'EPERM':
      return `let this user read and write ${path} and its directory`;
    case 'EISDIR':
      return `move the directory ${path} away, as the secret file goes there`;
    case 'ENOTDIR':
      return `make ${dirname(path)} a directory`;
    case 'EROFS':
      return 'keep the database on a writable file system';
    case 'ENOSPC':
      return 'free some disk space';
    default:
      return 'fix the file';
  }
}

function fileError(action: string, path: string, error: unknown): AtsAuthError {
  const code = (error as NodeJS.ErrnoException).code;

  return new AtsAuthError(
    'ERR_CONFIG',
    `Cannot ${action} the JWT secret file: ${path}: ${describeSystemError(error)}: ` +
      `${fixFor(code, path)}, or set ATSAUTH_SERVER_JWT_SECRET`,
    { cause: error },
  );
}

/** Creates the file with a fresh secret; returns false when it exists already. */
function createSecretFile(path: string, secret: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;

    throw fileError('create', path, error);
  }

  try {
    writeSync(fd, `${secret}\n`);
    // Flushed before first use: a token signed with a secret lost in a crash never verifies.
    fsyncSync(fd);
  } catch (error) {
    throw fileError('write', path, error);
  } finally {
    closeSync(fd);
  }

  return true;
}

function readSecretFile(path: string): JwtSecret {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (error) {
    throw fileError('read', path, error);
  }

  const value = text.replace(/\r?\n$/, '');
  if (value === '' || value.trim() !== value || /\p{Cc}/u.test(value)) {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid JWT secret file: ${path}: it must contain the secret on one line, without ` +
        'control characters or surrounding white space; delete the file to generate a new secret',
    );
  }

  const warnings =
    (mode & 0o077) === 0
      ? []
      : [`JWT secret file ${path} is readable by other users: run chmod 600 on it`];

  return { value, path, created: false, warnings };
}

/**
 * Returns the configured secret, or the one stored beside the database, generating and
 * storing it on first use. Throws ERR_CONFIG when the file cannot be read or written.
 */
export function resolveJwtSecret(configured: string | undefined, dbPath: string): JwtSecret {
  if (configured !== undefined) {
    const warnings =
      Buffer.byteLength(configured, 'utf8') >= MIN_SECRET_BYTES
        ? []
        : [`ATSAUTH_SERVER_JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: use a longer one`];

    return { value: configured, path: undefined, created: false, warnings };
  }

  const path = secretPathFor(dbPath);
  const generated = randomBytes(MIN_SECRET_BYTES).toString('base64url');
  if (createSecretFile(path, generated)) {
    return { value: generated, path, created: true, warnings: [] };
  }

  return readSecretFile(path);
}
