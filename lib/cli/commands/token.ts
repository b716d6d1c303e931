/**
 * `token create`, `token revoke` and `token revoke-all`: the commands of the original
 * ats-auth client.
 */

import { login, logout, logoutAll } from '../../client/api.ts';
import type { Credentials } from '../../client/api.ts';
import { AtsAuthError } from '../../errors.ts';
import { createHs256Key, decodeJwt, verifyHs256 } from '../../jwt/jws.ts';
import type { DecodedJwt } from '../../jwt/jws.ts';
import { reprJson } from '../../format/pyrepr.ts';
import type { CommandContext, CommandSpec } from '../command.ts';
import {
  CONNECTION_OPTIONS,
  PASSWORD_OPTIONS,
  httpOptionsFor,
  loadSessionConfig,
  readTokenArgument,
  resolvePassword,
  resolveUsername,
} from '../session.ts';

/** Decodes a token and, when a secret is known, verifies it; logs what the -v lines show. */
function inspectToken(context: CommandContext, token: string, secret: string | undefined): DecodedJwt {
  const decoded = secret === undefined ? decodeJwt(token) : verifyHs256(token, createHs256Key(secret));
  context.log.debug(`header: ${reprJson(decoded.header)}`);
  context.log.debug(`${secret === undefined ? 'UNVERIFIED claims' : 'claims'}: ${reprJson(decoded.payload)}`);

  return decoded;
}

export const tokenCreate: CommandSpec = {
  words: ['token', 'create'],
  summary: 'Create a JWT (RFC 7519) cryptographic token',
  options: [
    { name: 'username', type: 'string', metavar: 'USERNAME', help: 'username (will use OS_USERNAME if missing)' },
    ...PASSWORD_OPTIONS,
    ...CONNECTION_OPTIONS,
  ],
  positionals: [],
  async run(context, args) {
    const config = loadSessionConfig(context);
    const username = resolveUsername(context, args.values['username'], '--username');
    const password = await resolvePassword(context, args, username);
    const http = httpOptionsFor(context, args);

    context.log.debug('Requesting new token...');
    context.log.debug(`username: ${username}`);
    const token = await login(config.serverUrl, username, password, http);
    context.log.addSecret(token);
    inspectToken(context, token, config.jwtSecret);

    context.stdout.write(`${token}\n`);

    return 0;
  },
};

function subjectOf(decoded: DecodedJwt): string {
  const sub = Object.hasOwn(decoded.payload, 'sub') ? decoded.payload['sub'] : undefined;
  if (typeof sub !== 'string' || sub === '') {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', 'Invalid token: its "sub" claim is missing or not a string');
  }

  return sub;
}

export const tokenRevoke: CommandSpec = {
  words: ['token', 'revoke'],
  summary: 'Revoke a token',
  options: [...CONNECTION_OPTIONS],
  positionals: [
    { name: 'token', help: 'the token to revoke; - reads it from standard input (default: ATS_AUTH_TOKEN)', optional: true },
  ],
  async run(context, args) {
    const config = loadSessionConfig(context);
    const token = await readTokenArgument(context, args.positionals[0]);
    context.log.addSecret(token);
    const user = subjectOf(decodeJwt(token));

    context.log.info(`Logging out user ${user}`);
    await logout(config.serverUrl, token, httpOptionsFor(context, args));
    context.log.info('Token revoked.');

    return 0;
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
    const config = loadSessionConfig(context);
    const user = resolveUsername(context, args.values['as-user'], '--as-user');
    const credentials = await resolveProof(context, args, user);

    await logoutAll(config.serverUrl, user, credentials, httpOptionsFor(context, args));
    context.log.info('All tokens revoked.');

    return 0;
  },
};

async function resolveProof(
  context: CommandContext,
  args: Parameters<CommandSpec['run']>[1],
  user: string,
): Promise<Credentials> {
  const option = args.values['token'];
  const token = typeof option === 'string' ? option : context.env['ATS_AUTH_TOKEN'];
  const passwordGiven = args.values['password'] !== undefined || args.values['password-stdin'] === true;

  if (token !== undefined && token !== '' && !passwordGiven) {
    decodeJwt(token.trim());
    context.log.addSecret(token.trim());
    return { kind: 'token', token: token.trim() };
  }

  const username = typeof args.values['username'] === 'string' ? args.values['username'] : user;
  const password = await resolvePassword(context, args, username);

  return { kind: 'password', username, password };
}
