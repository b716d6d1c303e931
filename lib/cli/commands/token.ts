/**
 * The implementation of `token create`, `token revoke` and `token revoke-all`, whose
 * options are in token-specs.ts.
 */

import { login, logout, logoutAll } from '../../client/api.ts';
import type { Credentials } from '../../client/api.ts';
import { AtsAuthError } from '../../errors.ts';
import { checkHeader, createHs256Key, decodeJwt, verifyHs256 } from '../../jwt/jws.ts';
import type { DecodedJwt } from '../../jwt/jws.ts';
import { isJsonObject } from '../../jwt/json.ts';
import { nowSeconds, validateClaims } from '../../jwt/claims.ts';
import { formatRecord, readOutputSettings } from '../../format/output.ts';
import { reprJson } from '../../format/pyrepr.ts';
import { escapeLine } from '../../format/terminal.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import { resolveJwtSecret } from '../secret-file.ts';
import { TOKEN_COLUMNS, describeToken, formatNumericDate } from './token-record.ts';
import type { SignatureState } from './token-record.ts';
import {
  httpOptionsFor,
  loadSessionConfig,
  readTokenArgument,
  resolvePassword,
  resolveUsername,
} from '../session.ts';

/**
 * Decodes a token, rejecting a header this client would not verify, before it is sent
 * anywhere. The signature is not checked.
 */
function decodeHs256Token(token: string): DecodedJwt {
  const decoded = decodeJwt(token);
  checkHeader(decoded.header);

  return decoded;
}

/**
 * Checks the token a login returned and logs what the -v lines show. With a secret, the
 * signature is verified. In every case the header, the time claims and the subject must
 * fit, so that a wrong or hostile server_url cannot hand over someone else's token or an
 * expired one.
 */
function inspectToken(context: CommandContext, token: string, secret: string | undefined, username: string) {
  const decoded = secret === undefined ? decodeHs256Token(token) : verifyHs256(token, createHs256Key(secret));
  context.log.debug(`header: ${reprJson(decoded.header)}`);
  context.log.debug(`${secret === undefined ? 'UNVERIFIED claims' : 'claims'}: ${reprJson(decoded.payload)}`);
  if (secret === undefined) validateClaims(decoded.payload);

  const sub = subjectOf(decoded);
  if (sub !== username) {
    throw new AtsAuthError(
      'ERR_TOKEN_CLAIM',
      `The server issued a token for ${JSON.stringify(sub)}, not ${JSON.stringify(username)}: ` +
        'check that server_url points to your ats.auth server',
    );
  }

  return decoded;
}

const CREATE_COLUMNS = ['token', ...TOKEN_COLUMNS] as const;

/** ExecCredential versions with the same `status` fields; the first is the default. */
const EXEC_CREDENTIAL_VERSIONS = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
];

/** Escapes a workflow command value as the GitHub Actions toolkit does. */
function escapeWorkflowValue(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Asks the GitHub Actions runner to hide `token` in the job log, unless --no-mask. */
function maskInGitHubActions(context: CommandContext, args: ParsedArgs, token: string): void {
  if (context.env['GITHUB_ACTIONS'] !== 'true' || args.values['no-mask'] === true) return;

  // Written to the stream directly: the logger would replace the registered token by ***.
  context.stderr.write(`::add-mask::${escapeWorkflowValue(token)}\n`);
}

/**
 * Returns the ExecCredential apiVersion that KUBERNETES_EXEC_INFO requests, else v1. A
 * value that does not parse or names another version gets a warning, since kubectl then
 * rejects the output.
 */
function execCredentialVersion(context: CommandContext): string {
  const fallback = EXEC_CREDENTIAL_VERSIONS[0] ?? '';
  const text = context.env['KUBERNETES_EXEC_INFO'];
  if (text === undefined || text === '') return fallback;

  const warn = (problem: string) => {
    context.log.warning(`Ignoring KUBERNETES_EXEC_INFO: ${problem}; printing ${fallback}`);
    return fallback;
  };
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    return warn('it is not JSON');
  }

  if (!isJsonObject(info) || !Object.hasOwn(info, 'apiVersion')) return warn('it has no "apiVersion"');

  const version = info['apiVersion'];
  if (typeof version !== 'string' || !EXEC_CREDENTIAL_VERSIONS.includes(version)) {
    return warn(`"apiVersion" is not one of ${EXEC_CREDENTIAL_VERSIONS.join(', ')}`);
  }

  return version;
}

/**
 * Formats the ExecCredential a kubectl exec plugin prints. expirationTimestamp is RFC 3339
 * from "exp", rounded down to whole seconds so that kubectl renews the token in time.
 */
export function formatExecCredential(
  token: string,
  decoded: DecodedJwt,
  apiVersion: string,
): string {
  const status: Record<string, string> = { token };
  const exp = Object.hasOwn(decoded.payload, 'exp') ? decoded.payload['exp'] : undefined;
  const expiry = typeof exp === 'number' ? formatNumericDate(Math.floor(exp)) : undefined;
  if (expiry !== undefined) status['expirationTimestamp'] = expiry.replace(/\.\d{3}Z$/, 'Z');

  return `${JSON.stringify({ apiVersion, kind: 'ExecCredential', status }, null, 2)}\n`;
}

/** Formats the created token in the -f format: bare, as a record or as an ExecCredential. */
function formatCreated(
  context: CommandContext,
  args: ParsedArgs,
  token: string,
  decoded: DecodedJwt,
  signature: SignatureState,
): string {
  const settings = readOutputSettings(args, 'token');
  if (settings.format === 'token') return `${token}\n`;
  if (settings.format === 'exec-credential') {
    return formatExecCredential(token, decoded, execCredentialVersion(context));
  }

  const record = [['token', token] as const, ...describeToken(decoded, nowSeconds(), signature)];

  return formatRecord(record, CREATE_COLUMNS, settings);
}

/** Rejects -c where -f prints fixed output, before any password prompt. */
function checkOutputOptions(args: ParsedArgs): void {
  const format = args.values['format'];
  if (args.values['column'] === undefined) return;
  if (format !== undefined && format !== 'exec-credential') return;

  const fix = format === undefined ? 'add one' : 'remove -c';
  throw new AtsAuthError('ERR_USAGE', `Option -c needs -f table, json, shell, value or yaml: ${fix}`);
}

/** Runs `token create`: logs in, checks the token it got, then prints it. */
export async function runTokenCreate(context: CommandContext, args: ParsedArgs) {
  checkOutputOptions(args);
  readOutputSettings(args, 'token');
  const config = loadSessionConfig(context);
  const secret = resolveJwtSecret(context, args, config);
  const username = resolveUsername(context, args.values['username'], '--username');
  const password = await resolvePassword(context, args, username);
  const http = httpOptionsFor(context, args, config);

  context.log.debug('Requesting new token...');
  context.log.debug(`username: ${username}`);
  const token = await login(config.serverUrl, username, password, http);
  context.log.addSecret(token);
  maskInGitHubActions(context, args, token);
  const decoded = inspectToken(context, token, secret, username);

  const signature = secret === undefined ? 'UNVERIFIED' : 'verified';
  context.stdout.write(formatCreated(context, args, token, decoded, signature));

  return 0;
}

function subjectOf(decoded: DecodedJwt): string {
  const sub = Object.hasOwn(decoded.payload, 'sub') ? decoded.payload['sub'] : undefined;
  if (typeof sub !== 'string' || sub === '') {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', 'Invalid token: its "sub" claim is missing or not a string');
  }

  return sub;
}

/** Runs `token revoke`, which requests the revocation of the token from the server. */
export async function runTokenRevoke(context: CommandContext, args: ParsedArgs) {
  const config = loadSessionConfig(context);
  const token = await readTokenArgument(context, args.positionals[0]);
  context.log.addSecret(token);
  const user = subjectOf(decodeHs256Token(token));

  context.log.info(`Logging out user ${escapeLine(user)}`);
  await logout(config.serverUrl, token, httpOptionsFor(context, args, config));
  context.log.info('Token revoked.');

  return 0;
}

/** Runs `token revoke-all`, which requests the revocation of every token of --as-user. */
export async function runTokenRevokeAll(context: CommandContext, args: ParsedArgs) {
  const config = loadSessionConfig(context);
  const asUser = args.values['as-user'];
  if (typeof asUser !== 'string') {
    throw new AtsAuthError('ERR_USAGE', 'Missing --as-user USER: name the user whose tokens to revoke');
  }
  const user = resolveUsername(context, asUser, '--as-user');
  const credentials = await resolveProof(context, args, user);

  await logoutAll(config.serverUrl, user, credentials, httpOptionsFor(context, args, config));
  context.log.info('All tokens revoked.');

  return 0;
}

async function resolveProof(
  context: CommandContext,
  args: ParsedArgs,
  user: string,
): Promise<Credentials> {
  const option = args.values['token'];
  const token = typeof option === 'string' ? option : context.env['ATS_AUTH_TOKEN'];
  const passwordGiven = args.values['password'] !== undefined || args.values['password-stdin'] === true;
  if (typeof option === 'string' && passwordGiven) {
    throw new AtsAuthError(
      'ERR_USAGE',
      'Options --token and --password/--password-stdin exclude each other: prove the request one way',
    );
  }

  if (token !== undefined && token !== '' && !passwordGiven) {
    decodeHs256Token(token.trim());
    context.log.addSecret(token.trim());
    return { kind: 'token', token: token.trim() };
  }

  const username = typeof args.values['username'] === 'string' ? args.values['username'] : user;
  const password = await resolvePassword(context, args, username);

  return { kind: 'password', username, password };
}
