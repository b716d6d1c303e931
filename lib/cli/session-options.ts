/**
 * Options of the commands that talk to the server, and the default timeout. They are kept
 * out of session.ts so that the command descriptions can list them without loading the
 * client configuration and transport code.
 */

import type { OptionSpec } from './command.ts';

export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Options every command that talks to the server accepts. */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'timeout',
    type: 'string',
    metavar: 'SECONDS',
    help: `seconds to wait for the server to connect and respond (default: ${DEFAULT_TIMEOUT_SECONDS}, or ATS_AUTH_TIMEOUT)`,
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
