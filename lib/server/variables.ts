/**
 * The environment variables the server reads, with their defaults and help, in the order
 * `ats-auth server --write-config-defaults` prints them.
 */

import { DEFAULT_DB_PATH } from '../store/db.ts';

export interface VariableSpec {
  name: string;
  /** Default as written to the environment; empty means none. */
  default: string;
  help: string;
}

export const SERVER_VARIABLES: readonly VariableSpec[] = [
  {
    name: 'ATSAUTH_SERVER_LISTEN_ADDRESS',
    default: '127.0.0.1',
    help: 'IP address to listen on; 0.0.0.0 or :: listens on all interfaces',
  },
  {
    name: 'ATSAUTH_SERVER_LISTEN_PORT',
    default: '8081',
    help: 'TCP port from 0 to 65535; 0 picks any free port',
  },
  {
    name: 'ATSAUTH_SERVER_JWT_SECRET',
    default: '',
    help: 'HS256 signing secret; when empty, one is generated and kept in <ATSAUTH_DB>.secret',
  },
  { name: 'ATSAUTH_DB', default: DEFAULT_DB_PATH, help: 'SQLite database file' },
  { name: 'ATSAUTH_TOKEN_TTL', default: '3600', help: 'Token lifetime in seconds' },
  {
    name: 'ATSAUTH_LOG_JSONFORMAT',
    default: 'false',
    help: 'true writes each log line as one JSON object',
  },
  {
    name: 'ATSAUTH_SERVER_TRUSTED_PROXIES',
    default: '',
    help: 'Comma-separated IPs or CIDR ranges that may call logout_all for any user',
  },
  {
    name: 'ATSAUTH_SERVER_MAX_BODY_BYTES',
    default: '16384',
    help: 'Maximum request body in bytes; a larger body gets 413',
  },
  {
    name: 'ATSAUTH_SERVER_MAX_HEADER_BYTES',
    default: '16384',
    help: 'Maximum size of the request line and headers in bytes; larger gets 431',
  },
  {
    name: 'ATSAUTH_SERVER_HEADERS_TIMEOUT_SECONDS',
    default: '10',
    help: 'Time a client has to send the request line and headers',
  },
  {
    name: 'ATSAUTH_SERVER_REQUEST_TIMEOUT_SECONDS',
    default: '30',
    help: 'Time a client has to send the whole request',
  },
  {
    name: 'ATSAUTH_SERVER_SHUTDOWN_TIMEOUT_SECONDS',
    default: '10',
    help: 'Time in-flight requests get to finish after SIGINT or SIGTERM',
  },
  {
    name: 'ATSAUTH_DB_BUSY_TIMEOUT_MS',
    default: '5000',
    help: 'Time in milliseconds a database write waits for a lock held by another process',
  },
];

/** Returns the default of the variable `name`, or an empty string when it has none. */
export function defaultOf(name: string): string {
  return SERVER_VARIABLES.find((variable) => variable.name === name)?.default ?? '';
}

function quoteShell(value: string): string {
  return /^[A-Za-z0-9_./:,@+-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Returns the defaults as shell `export NAME=value` lines, each after a comment. */
export function formatConfigDefaults(): string {
  const lines = SERVER_VARIABLES.map(
    (variable) => `# ${variable.help}\nexport ${variable.name}=${quoteShell(variable.default)}\n`,
  );

  return lines.join('');
}
