/**
 * The client's HS256 secret for checking signatures: the first line of the file named by
 * --secret-file, else ATS_AUTH_JWT_SECRET or jwt_secret in the configuration file.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import type { ClientConfig } from '../config/client-config.ts';
import { AtsAuthError } from '../errors.ts';
import { describeSystemError } from '../system-errors.ts';
import type { CommandContext, OptionSpec, ParsedArgs } from './command.ts';

/** The option that names a file holding the HS256 secret, so it stays out of argv. */
export const SECRET_FILE_OPTION: OptionSpec = {
  name: 'secret-file',
  type: 'string',
  metavar: 'FILE',
  completeFiles: true,
  help:
    'read the jwt_secret from the first line of FILE (default: ATS_AUTH_JWT_SECRET, ' +
    'else jwt_secret in the [client] section of the configuration file)',
};

/** Sources of the HS256 secret, named in the error for a missing secret. */
export const SECRET_SOURCES =
  'pass --secret-file FILE, set ATS_AUTH_JWT_SECRET, or set jwt_secret in the [client] ' +
  'section of auth-client.ini';

/** Maximum first line read from a secret file, in bytes, so /dev/zero cannot exhaust memory. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Reads bytes from `fd` up to the first line feed or MAX_SECRET_FILE_BYTES. */
function readFirstLineOfFile(fd: number, path: string): string {
  const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
  let size = 0;
  while (size < buffer.length) {
    const count = readSync(fd, buffer, size, buffer.length - size, null);
    if (count === 0) break;

    size += count;
    if (buffer.subarray(0, size).includes(0x0a)) break;
  }

  const text = buffer.subarray(0, size).toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0 && size > MAX_SECRET_FILE_BYTES) {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid secret file ${path}: its first line is longer than ${MAX_SECRET_FILE_BYTES} bytes`,
    );
  }

  return (newline < 0 ? text : text.slice(0, newline)).replace(/^\uFEFF/, '').trim();
}

/**
 * Returns the first line of a secret file, trimmed, and a warning when other users can
 * read the file. Throws ERR_CONFIG, naming the file, when it is missing or empty.
 */
export function readSecretFile(path: string): { secret: string; warning: string | undefined } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Cannot read secret file ${path}: ${describeSystemError(error)}; check --secret-file`,
      { cause: error },
    );
  }

  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) {
      throw new AtsAuthError('ERR_CONFIG', `Cannot read secret file ${path}: it is a directory`);
    }

    const secret = readFirstLineOfFile(fd, path);
    if (secret === '') {
      throw new AtsAuthError(
        'ERR_CONFIG',
        `Invalid secret file ${path}: its first line is empty; write the jwt_secret there`,
      );
    }

    const readable = stats.isFile() && (stats.mode & 0o044) !== 0;
    const warning = readable
      ? `Secret file ${path} can be read by other users: run chmod 600 ${path}`
      : undefined;

    return { secret, warning };
  } finally {
    closeSync(fd);
  }
}

/**
 * Returns the HS256 secret from --secret-file, else ATS_AUTH_JWT_SECRET or the
 * configuration file (already merged into `config`), or undefined when none is given.
 */
export function resolveJwtSecret(
  context: CommandContext,
  args: ParsedArgs,
  config: ClientConfig,
): string | undefined {
  const path = args.values['secret-file'];
  if (typeof path !== 'string') return config.jwtSecret;

  const { secret, warning } = readSecretFile(path);
  context.log.addSecret(secret);
  if (warning !== undefined) context.log.warning(warning);
  context.log.debug(`Secret file: ${path}`);

  return secret;
}
