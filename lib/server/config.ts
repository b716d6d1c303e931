/**
 * Server configuration from environment variables. An empty variable counts as unset.
 * Every invalid value is an ERR_CONFIG error naming the variable, the value (never for
 * the secret) and what is accepted. Settings that work but are likely mistakes, such as
 * an unknown ATSAUTH_* variable, become warnings the server logs at start.
 */

import { isIP } from 'node:net';

import { editDistance } from '../cli/suggest.ts';
import { AtsAuthError } from '../errors.ts';
import { findFullyTrustedFamilies } from './proxies.ts';
import { SERVER_VARIABLES, defaultOf } from './variables.ts';

export interface ServerConfig {
  listenAddress: string;
  /** 0 picks any free port. */
  listenPort: number;
  /** HS256 secret; undefined means generate one and keep it beside the database. */
  jwtSecret: string | undefined;
  dbPath: string;
  tokenTtlSeconds: number;
  logJson: boolean;
  /** Addresses allowed to call logout_all for any user, as given (IPs or CIDR ranges). */
  trustedProxies: readonly string[];
  maxBodyBytes: number;
  maxHeaderBytes: number;
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  shutdownTimeoutSeconds: number;
  busyTimeoutMs: number;
  /** Problems worth a log line at start, such as a misspelt variable name. */
  warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const HOUR_SECONDS = 3600;
const DAY_SECONDS = 24 * HOUR_SECONDS;

function readText(env: Env, name: string): string {
  const value = env[name];

  return value === undefined || value === '' ? defaultOf(name) : value;
}

function invalid(name: string, value: string, expected: string): AtsAuthError {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);

  return new AtsAuthError('ERR_CONFIG', `Invalid ${name} ${shown}: ${expected}`);
}

/** Reads an integer variable within [min, max]; exported for the user commands. */
export function readInteger(env: Env, name: string, min: number, max: number): number {
  const text = readText(env, name).trim();
  const value = Number(text);
  if (/^\d+$/.test(text) && Number.isSafeInteger(value) && value >= min && value <= max) {
    return value;
  }

  throw invalid(name, text, `expected a whole number from ${min} to ${max}`);
}

/** Reads a timeout in seconds, from `min` up to one hour. */
function readSeconds(env: Env, name: string, min: number): number {
  return readInteger(env, name, min, HOUR_SECONDS);
}

function readBoolean(env: Env, name: string): boolean {
  const text = readText(env, name).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;

  throw invalid(name, text, 'expected true or false');
}

function readAddress(env: Env, name: string): string {
  const text = readText(env, name).trim();
  if (isIP(text) !== 0) return text;

  throw invalid(name, text, 'expected an IP address such as 127.0.0.1, 0.0.0.0 or ::1');
}

function readSecret(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;

  // The value is secret, so the messages describe it without showing it.
  if (/\p{Cc}/u.test(value)) {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid ${name}: the value contains a line break, tab or other control character; ` +
        'use printable characters only',
    );
  }
  if (value.trim() !== value) {
    throw new AtsAuthError(
      'ERR_CONFIG',
      `Invalid ${name}: the value starts or ends with white space; remove it`,
    );
  }

  return value;
}

const KNOWN_VARIABLES = SERVER_VARIABLES.map((variable) => variable.name);

/** Returns a warning for each ATSAUTH_* variable in `env` that the server does not read. */
function warnAboutUnknownVariables(env: Env): string[] {
  const unknown = Object.keys(env).filter(
    (name) => name.startsWith('ATSAUTH_') && !KNOWN_VARIABLES.includes(name),
  );

  return unknown.sort().map((name) => {
    const scored = KNOWN_VARIABLES.map((known) => ({ known, distance: editDistance(name, known) }));
    const closest = scored.sort((a, b) => a.distance - b.distance)[0];
    const hint =
      closest !== undefined && closest.distance <= Math.floor(name.length / 3)
        ? `did you mean ${closest.known}?`
        : '"ats-auth server --write-config-defaults" lists the variables it reads';

    return `Unknown variable ${name} is ignored: ${hint}`;
  });
}

function warnAboutOpenProxies(proxies: readonly string[]): string[] {
  return findFullyTrustedFamilies(proxies).map(
    (family) =>
      `ATSAUTH_SERVER_TRUSTED_PROXIES covers every ${family} address, so any client may ` +
      "revoke any user's tokens through POST /user/logout_all: list only your gateways",
  );
}

/** Returns the trusted proxy entries, each an IP address or an address/prefix range. */
function readProxies(env: Env, name: string): string[] {
  const entries = readText(env, name).split(',').map((entry) => entry.trim());
  const proxies = entries.filter((entry) => entry !== '');
  for (const entry of proxies) {
    if (isIP(entry) !== 0) continue;

    const [address = '', prefix = '', extra] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    if (family !== 0 && extra === undefined && /^\d{1,3}$/.test(prefix)) {
      if (Number(prefix) <= maxPrefix) continue;
    }

    throw invalid(
      name,
      entry,
      'expected comma-separated IP addresses or CIDR ranges such as 10.0.0.0/8',
    );
  }

  return proxies;
}

/** Reads the server configuration from `env`. Throws ERR_CONFIG on the first bad value. */
export function loadServerConfig(env: Env): ServerConfig {
  const headersTimeoutSeconds = readSeconds(env, 'ATSAUTH_SERVER_HEADERS_TIMEOUT_SECONDS', 1);
  const requestTimeoutSeconds = readSeconds(env, 'ATSAUTH_SERVER_REQUEST_TIMEOUT_SECONDS', 1);
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    throw invalid(
      'ATSAUTH_SERVER_HEADERS_TIMEOUT_SECONDS',
      String(headersTimeoutSeconds),
      `expected at most ATSAUTH_SERVER_REQUEST_TIMEOUT_SECONDS (${requestTimeoutSeconds})`,
    );
  }

  const trustedProxies = readProxies(env, 'ATSAUTH_SERVER_TRUSTED_PROXIES');

  return {
    listenAddress: readAddress(env, 'ATSAUTH_SERVER_LISTEN_ADDRESS'),
    listenPort: readInteger(env, 'ATSAUTH_SERVER_LISTEN_PORT', 0, 65_535),
    jwtSecret: readSecret(env, 'ATSAUTH_SERVER_JWT_SECRET'),
    dbPath: readText(env, 'ATSAUTH_DB'),
    tokenTtlSeconds: readInteger(env, 'ATSAUTH_TOKEN_TTL', 1, 366 * DAY_SECONDS),
    logJson: readBoolean(env, 'ATSAUTH_LOG_JSONFORMAT'),
    trustedProxies,
    maxBodyBytes: readInteger(env, 'ATSAUTH_SERVER_MAX_BODY_BYTES', 256, 1 << 20),
    maxHeaderBytes: readInteger(env, 'ATSAUTH_SERVER_MAX_HEADER_BYTES', 1024, 1 << 20),
    headersTimeoutSeconds,
    requestTimeoutSeconds,
    shutdownTimeoutSeconds: readSeconds(env, 'ATSAUTH_SERVER_SHUTDOWN_TIMEOUT_SECONDS', 0),
    busyTimeoutMs: readInteger(env, 'ATSAUTH_DB_BUSY_TIMEOUT_MS', 0, 600_000),
    warnings: [...warnAboutUnknownVariables(env), ...warnAboutOpenProxies(trustedProxies)],
  };
}
