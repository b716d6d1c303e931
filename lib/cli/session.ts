/**
 * What the network commands share: the client configuration, logged as the original
 * client did, HTTP options from the command line, and credentials from their sources.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import type { ClientConfig } from '../config/client-config.ts';
import { loadClientConfig } from '../config/client-config.ts';
import type { HttpOptions } from '../client/http.ts';
import { trustCaFile, useProxyFromEnv } from '../client/transport.ts';
import { AtsAuthError } from '../errors.ts';
import type { CommandContext, OptionSpec, ParsedArgs } from './command.ts';
import { obtainPassword, readFirstLine } from './prompt.ts';

export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Options every command that talks to the server accepts. */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'timeout',
    type: 'string',
    metavar: 'SECONDS',
    help: `seconds to wait for the server to connect and answer (default: ${DEFAULT_TIMEOUT_SECONDS}, or ATS_AUTH_TIMEOUT)`,
  },
  {
    name: 'ca-file',
    type: 'string',
    metavar: 'FILE',
    completeFiles: true,
    help: 'PEM file of CA certificates to trust for an https server_url, in addition to the defaults (default: ATS_AUTH_CA_FILE, else [session] ca_file)',
  },
];

/** Password options shared by the commands that log in. */
export const PASSWORD_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'password',
    type: 'string',
    metavar: 'PASSWORD',
    help: 'password (will use OS_PASSWORD if missing, will prompt if OS_PASSWORD is also missing)',
  },
  {
    name: 'password-stdin',
    type: 'boolean',
    help: 'read the password from the first line of standard input',
  },
];

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

/**
 * Returns the token named by a positional: the text, `-` for standard input, or
 * ATS_AUTH_TOKEN when the positional is absent.
 */
export async function readTokenArgument(context: CommandContext, value: string | undefined): Promise<string> {
  let token = value;
  if (value === '-') token = await readFirstLine(context.stdin, 'token');
  else if (value === undefined) token = context.env['ATS_AUTH_TOKEN'];

  if (token === undefined || token.trim() === '') {
    throw new AtsAuthError('ERR_USAGE', 'Missing token: pass TOKEN, - to read standard input, or set ATS_AUTH_TOKEN');
  }

  return token.trim();
}

/** Loads the client configuration and logs which file was read and any warning. */
export function loadSessionConfig(context: CommandContext): ClientConfig {
  const config = loadClientConfig(context.globals.config, context.env);
  context.log.debug(`Configuration file: ${config.path ?? 'none'}`);
  for (const warning of config.warnings) context.log.warning(warning);
  if (config.jwtSecret !== undefined) context.log.addSecret(config.jwtSecret);

  return config;
}

/** Reads a positive number of seconds from an option or variable, naming it on error. */
export function parseSeconds(value: string, origin: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new AtsAuthError('ERR_USAGE', `Invalid ${origin} "${value}": expected a positive number of seconds`);
  }

  return seconds;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** Parses `--now`: NumericDate seconds, or ISO 8601 with a time zone when it has a time. */
export function parseTime(value: string, origin: string): number {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);

  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)) {
    throw new AtsAuthError('ERR_USAGE', `Invalid ${origin} "${value}": add a time zone, such as Z`);
  }

  const milliseconds = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(milliseconds)) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Invalid ${origin} "${value}": expected NumericDate seconds such as 1767225600 ` +
        'or ISO 8601 such as 2026-01-01T00:00:00Z',
    );
  }

  return milliseconds / 1000;
}

/** Parses a number of seconds that may be 0, naming the option on error. */
export function parseDurationSeconds(value: string, origin: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Invalid ${origin} "${value}": expected a number of seconds, 0 or more`,
    );
  }

  return seconds;
}

/** Trusts the CA file named by --ca-file, ATS_AUTH_CA_FILE or the ini file, if any. */
function trustConfiguredCa(context: CommandContext, args: ParsedArgs, config: ClientConfig | undefined) {
  const option = args.values['ca-file'];
  const variable = context.env['ATS_AUTH_CA_FILE'];
  if (typeof option === 'string') trustCaFile(option, '--ca-file');
  else if (variable) trustCaFile(variable, 'ATS_AUTH_CA_FILE');
  else if (config?.caFile !== undefined) trustCaFile(config.caFile, config.path ?? 'the configuration file');
}

/**
 * HTTP options for this run: time limit, request trace, abort on Ctrl-C. Also sets up
 * the process's trusted CAs and proxy, which fetch reads.
 */
export function httpOptionsFor(context: CommandContext, args: ParsedArgs, config?: ClientConfig): HttpOptions {
  trustConfiguredCa(context, args, config);
  if (useProxyFromEnv(context.env)) context.log.debug('Using the proxy from HTTP_PROXY/HTTPS_PROXY');

  const option = args.values['timeout'];
  const variable = context.env['ATS_AUTH_TIMEOUT'];
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (typeof option === 'string') timeoutSeconds = parseSeconds(option, '--timeout');
  else if (variable) timeoutSeconds = parseSeconds(variable, 'ATS_AUTH_TIMEOUT');

  const options: HttpOptions = { timeoutSeconds, signal: context.signal };
  if (context.globals.debugRequests) options.trace = (line) => context.log.trace(line);

  return options;
}

/**
 * Returns the password from --password, --password-stdin, OS_PASSWORD or the terminal
 * prompt, in that order.
 */
export async function resolvePassword(context: CommandContext, args: ParsedArgs, username: string) {
  const option = args.values['password'];
  const fromStdin = args.values['password-stdin'] === true;
  if (typeof option === 'string' && fromStdin) {
    throw new AtsAuthError('ERR_USAGE', 'Options --password and --password-stdin exclude each other: use one');
  }

  let password: string;
  if (typeof option === 'string') {
    context.log.warning('A password on the command line is visible to other users: prefer --password-stdin');
    password = option;
  } else if (!fromStdin && context.env['OS_PASSWORD']) {
    password = context.env['OS_PASSWORD'];
  } else {
    password = await obtainPassword(context, { prompt: `Password for user ${username}: `, fromStdin });
  }

  if (password === '') throw new AtsAuthError('ERR_USAGE', 'Invalid password: it is empty');
  context.log.addSecret(password);

  return password;
}

/** Returns a user name from an option or OS_USERNAME; a missing one is a usage error. */
export function resolveUsername(context: CommandContext, value: unknown, optionName: string): string {
  const username = typeof value === 'string' ? value : context.env['OS_USERNAME'];
  if (username === undefined || username === '') {
    throw new AtsAuthError('ERR_USAGE', `Missing user name: pass ${optionName} USERNAME or set OS_USERNAME`);
  }
  if (/[\u0000-\u001f\u007f]/.test(username)) {
    throw new AtsAuthError('ERR_USAGE', `Invalid user name ${JSON.stringify(username)}: it contains control characters`);
  }

  return username;
}

function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';

  return code ?? String(error);
}

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
      `Cannot read secret file ${path}: ${describeFileError(error)}; check --secret-file`,
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
