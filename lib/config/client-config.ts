/**
 * Client configuration: the ini file found by --config, ATS_AUTH_CONFIG or the search
 * path, then environment overrides on top.
 */

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { AtsAuthError } from '../errors.ts';
import { describeSystemError } from '../system-errors.ts';
import { getIniValue, parseIni } from './ini.ts';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8081/';
export const CONFIG_FILE_NAME = 'auth-client.ini';

export interface ClientConfig {
  /** The ini file read, or undefined when none was found. */
  path: string | undefined;
  serverUrl: URL;
  /** Source of serverUrl: `ATS_AUTH_URL`, `FILE, line N` or `the default`. */
  serverUrlSource: string;
  jwtSecret: string | undefined;
  /** PEM file of extra CA certificates from `[session] ca_file`, relative to the ini file. */
  caFile: string | undefined;
  /** A warning to show the user, for example about file permissions. */
  warnings: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** Lists the files searched, in order, when no file is named explicitly. */
export function configSearchPath(env: Env): string[] {
  const configHome = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');

  return [
    CONFIG_FILE_NAME,
    join(configHome, 'ats-auth', CONFIG_FILE_NAME),
    join('/etc/ats-auth', CONFIG_FILE_NAME),
  ];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Largest configuration file read, in bytes; real ones are a few hundred bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function configReadError(path: string, reason: string, explicit: boolean, cause?: unknown) {
  const fix = explicit ? 'check the --config option or ATS_AUTH_CONFIG' : 'check the file';

  return new AtsAuthError('ERR_CONFIG', `Cannot read configuration file ${path}: ${reason}; ${fix}`, {
    cause,
  });
}

/**
 * Reads at most MAX_CONFIG_BYTES of the file, so that /dev/zero, a pipe or a huge file
 * gives an error instead of exhausting memory.
 */
function readConfigText(path: string, explicit: boolean): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw configReadError(path, describeSystemError(error), explicit, error);
  }

  try {
    if (fstatSync(fd).isDirectory()) throw configReadError(path, 'is a directory', explicit);

    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let size = 0;
    for (let count = -1; count !== 0 && size < buffer.length; size += count) {
      count = readSync(fd, buffer, size, buffer.length - size, null);
    }
    if (size > MAX_CONFIG_BYTES) {
      throw configReadError(path, `larger than ${MAX_CONFIG_BYTES} bytes`, explicit);
    }

    return buffer.subarray(0, size).toString('utf8');
  } catch (error) {
    if (error instanceof AtsAuthError) throw error;

    throw configReadError(path, describeSystemError(error), explicit, error);
  } finally {
    closeSync(fd);
  }
}

/** Parses a server URL from the ini file or the environment, naming where it came from. */
export function parseServerUrl(value: string, origin: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid server URL ${JSON.stringify(value)} in ${origin}: expected http://HOST:PORT/`,
    );
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid server URL ${JSON.stringify(value)} in ${origin}: use http:// or https://`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid server URL in ${origin}: remove the user name and password from it`,
    );
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';

  return url;
}

function permissionWarning(path: string): string | undefined {
  const mode = statSync(path).mode;
  if ((mode & 0o044) === 0) return undefined;

  return `Configuration file ${path} holds jwt_secret and other users can read it: run chmod 600 ${path}`;
}

/**
 * Finds and reads the client configuration. A file named by `explicitPath` or
 * ATS_AUTH_CONFIG must exist. Otherwise the first file of the search path is used, and
 * when none exists the defaults apply.
 */
export function loadClientConfig(explicitPath: string | undefined, env: Env): ClientConfig {
  const named = explicitPath ?? (env['ATS_AUTH_CONFIG'] || undefined);
  const path = named ?? configSearchPath(env).find(isFile);
  const warnings: string[] = [];
  let serverUrl = parseServerUrl(DEFAULT_SERVER_URL, 'the default');
  let serverUrlSource = `the default ${DEFAULT_SERVER_URL}`;
  let jwtSecret: string | undefined;
  let caFile: string | undefined;

  if (path !== undefined) {
    const document = parseIni(readConfigText(path, named !== undefined), path);
    const url = getIniValue(document, 'session', 'server_url');
    if (url !== undefined) {
      serverUrlSource = `${path}, line ${url.line}`;
      serverUrl = parseServerUrl(url.value, serverUrlSource);
    }

    const ca = getIniValue(document, 'session', 'ca_file');
    if (ca !== undefined && ca.value !== '') caFile = resolve(dirname(path), ca.value);

    const secret = getIniValue(document, 'client', 'jwt_secret');
    if (secret !== undefined && secret.value !== '') {
      jwtSecret = secret.value;
      const warning = permissionWarning(path);
      if (warning !== undefined) warnings.push(warning);
    }
  }

  const urlOverride = env['ATS_AUTH_URL'];
  if (urlOverride) {
    serverUrlSource = 'ATS_AUTH_URL';
    serverUrl = parseServerUrl(urlOverride, serverUrlSource);
  }

  const secretOverride = env['ATS_AUTH_JWT_SECRET'];
  if (secretOverride) jwtSecret = secretOverride;

  return { path, serverUrl, serverUrlSource, jwtSecret, caFile, warnings };
}
