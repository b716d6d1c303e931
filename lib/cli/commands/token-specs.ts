/**
 * Descriptions of `token create`, `token revoke` and `token revoke-all`, the commands of
 * the original ats-auth client: their options and help. Each `run` loads its
 * implementation from token.ts, so that help and completion load no client code.
 */

import { RECORD_FORMATS, outputOptions } from '../../format/output.ts';
import type { CommandSpec } from '../command.ts';
import { wrapText } from '../help.ts';
import { SECRET_FILE_OPTION } from '../secret-file.ts';
import { CONNECTION_OPTIONS, PASSWORD_OPTIONS } from '../session-options.ts';
import { describeColumnsHelp } from './token-record.ts';

/** `-f` choices of token create. Without -f it prints the token alone. */
const CREATE_FORMATS = [...RECORD_FORMATS, 'exec-credential'] as const;

const CREATE_EPILOG = `${wrapText(
  'Without -f the token alone is printed, so TOKEN=$(ats-auth token create) works, and ' +
    '-f value -c token prints the same. -f table, json, shell, value and yaml show the ' +
    'token column followed by the claims.',
  78,
).join('\n')}

${describeColumnsHelp('')}

${wrapText(
  'In GitHub Actions (GITHUB_ACTIONS=true) the token is first written to standard error ' +
    'as ::add-mask::TOKEN, so that the runner hides it in the job log. --no-mask turns ' +
    'this off.',
  78,
).join('\n')}

${wrapText(
  '-f exec-credential prints a Kubernetes ExecCredential, so that kubectl can use ' +
    'ats-auth as a credential plugin. In the kubeconfig:',
  78,
).join('\n')}

  users:
  - name: marco
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: ats-auth
        args: [token, create, --username, marco, -f, exec-credential]
        interactiveMode: IfAvailable`;

export const tokenCreate: CommandSpec = {
  words: ['token', 'create'],
  summary: 'Create a JWT (RFC 7519) cryptographic token',
  options: [
    { name: 'username', type: 'string', metavar: 'USERNAME', help: 'username (will use OS_USERNAME if missing)' },
    ...PASSWORD_OPTIONS,
    ...CONNECTION_OPTIONS,
    SECRET_FILE_OPTION,
    ...outputOptions(CREATE_FORMATS, 'the token alone'),
    {
      name: 'no-mask',
      type: 'boolean',
      help: 'in GitHub Actions, do not ask the runner to hide the token in the job log',
    },
  ],
  positionals: [],
  epilog: CREATE_EPILOG,
  async run(context, args) {
    const { runTokenCreate } = await import('./token.ts');

    return runTokenCreate(context, args);
  },
};

export const tokenRevoke: CommandSpec = {
  words: ['token', 'revoke'],
  summary: 'Revoke a token',
  options: [...CONNECTION_OPTIONS],
  positionals: [
    { name: 'token', help: 'the token to revoke; - reads it from standard input (default: ATS_AUTH_TOKEN)', optional: true },
  ],
  async run(context, args) {
    const { runTokenRevoke } = await import('./token.ts');

    return runTokenRevoke(context, args);
  },
};

export const tokenRevokeAll: CommandSpec = {
  words: ['token', 'revoke-all'],
  summary: 'Revoke all tokens created by a user',
  options: [
    { name: 'as-user', type: 'string', metavar: 'USER', help: 'the user whose tokens are revoked' },
    {
      name: 'token',
      type: 'string',
      metavar: 'TOKEN',
      help: "a valid token of USER or of an administrator, as proof (will use ATS_AUTH_TOKEN if missing; else a password is asked)",
    },
    {
      name: 'username',
      type: 'string',
      metavar: 'USERNAME',
      help: 'who proves the request with a password: USER or an administrator (default: USER)',
    },
    ...PASSWORD_OPTIONS,
    ...CONNECTION_OPTIONS,
  ],
  positionals: [],
  async run(context, args) {
    const { runTokenRevokeAll } = await import('./token.ts');

    return runTokenRevokeAll(context, args);
  },
};
