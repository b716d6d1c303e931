/**
 * The implementation of `token decode` and `token verify`, whose options are in
 * inspect-specs.ts. Decode shows any token, expired or not. Verify checks it and exits
 * with one status per outcome.
 */

import { sendRequest } from '../../client/http.ts';
import type { HttpOptions } from '../../client/http.ts';
import { AtsAuthError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import type { ClaimOptions } from '../../jwt/claims.ts';
import { nowSeconds } from '../../jwt/claims.ts';
import { createHs256Key, decodeJwt, hasValidSignature, verifyHs256 } from '../../jwt/jws.ts';
import type { DecodedJwt } from '../../jwt/jws.ts';
import { isJsonObject } from '../../jwt/json.ts';
import { formatRecord, readOutputSettings } from '../../format/output.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import { SECRET_SOURCES, resolveJwtSecret } from '../secret-file.ts';
import { httpOptionsFor, loadSessionConfig, readTokenArgument } from '../session.ts';
import { parseDurationSeconds, parseTime } from '../time-options.ts';
import { TOKEN_COLUMNS, describeToken } from './token-record.ts';
import type { SignatureState } from './token-record.ts';

/** Returns --now in seconds, or the current time. */
export function readNow(args: ParsedArgs): number {
  const value = args.values['now'];

  return typeof value === 'string' ? parseTime(value, '--now') : nowSeconds();
}

/** Reports whether the signature matches `secret`, without looking at the claims. */
function checkSignature(decoded: DecodedJwt, secret: string | undefined): SignatureState {
  if (secret === undefined) return 'UNVERIFIED';

  const alg = Object.hasOwn(decoded.header, 'alg') ? decoded.header['alg'] : undefined;
  if (alg !== 'HS256') return 'INVALID';

  return hasValidSignature(decoded, createHs256Key(secret)) ? 'verified' : 'INVALID';
}

/** Runs `token decode`. Without a secret it computes no HMAC, so node:crypto stays unloaded. */
export async function runTokenDecode(context: CommandContext, args: ParsedArgs) {
  const settings = readOutputSettings(args, 'table');
  const now = readNow(args);
  const secret = resolveJwtSecret(context, args, loadSessionConfig(context));
  const token = await readTokenArgument(context, args.positionals[0]);
  context.log.addSecret(token);

  const decoded = decodeJwt(token);
  const signature = checkSignature(decoded, secret);
  if (signature === 'INVALID') {
    context.log.warning('Signature verification failed: the token does not match the secret');
  }

  const record = describeToken(decoded, now, signature);
  context.stdout.write(formatRecord(record, TOKEN_COLUMNS, settings));

  return 0;
}

function readClaimOptions(args: ParsedArgs): ClaimOptions {
  const options: ClaimOptions = { nowSeconds: readNow(args) };
  const { issuer, subject, leeway } = args.values;
  const minValidity = args.values['min-validity'];

  for (const [name, value] of [['--issuer', issuer], ['--subject', subject]] as const) {
    if (value === '') throw new AtsAuthError('ERR_USAGE', `Invalid ${name} "": give the expected value`);
  }
  if (typeof issuer === 'string') options.issuer = issuer;
  if (typeof subject === 'string') options.subject = subject;
  if (typeof leeway === 'string') options.leewaySeconds = parseDurationSeconds(leeway, '--leeway');
  if (typeof minValidity === 'string') {
    options.minValiditySeconds = parseDurationSeconds(minValidity, '--min-validity');
  }

  return options;
}

/** Asks the server whether it still accepts the token: GET /token/verify responds 204. */
const SERVER_TOKEN_CODES: readonly ErrorCode[] = [
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_TOKEN_SIGNATURE',
  'ERR_TOKEN_ALG',
  'ERR_TOKEN_MALFORMED',
  'ERR_TOKEN_CLAIM',
];

/**
 * Turns the server's 401 into the error its `error` code names, so that the exit status
 * gives the reason. A body without a known code means another secret or another server.
 */
function rejectionFromServer(body: string, url: URL): AtsAuthError {
  let code: unknown;
  try {
    const parsed: unknown = JSON.parse(body);
    code = isJsonObject(parsed) && Object.hasOwn(parsed, 'error') ? parsed['error'] : undefined;
  } catch {
    code = undefined;
  }

  const known = SERVER_TOKEN_CODES.find((candidate) => candidate === code);
  if (known === 'ERR_TOKEN_REVOKED') {
    return new AtsAuthError(known, `Token rejected by ${url.origin}: it was revoked`);
  }
  if (known !== undefined) {
    return new AtsAuthError(known, `Token rejected by ${url.origin} (${known}) though it verified here`);
  }

  return new AtsAuthError(
    'ERR_TOKEN_SIGNATURE',
    `Token rejected by ${url.origin}: the server may sign with another secret`,
  );
}

export async function checkNotRevoked(serverUrl: URL, token: string, http: HttpOptions) {
  const url = new URL('token/verify', serverUrl);
  const headers = { Authorization: `Bearer ${token}` };
  const response = await sendRequest({ method: 'GET', url, headers }, http);

  if (response.status === 204 || response.status === 200) return;
  if (response.status === 401) throw rejectionFromServer(response.body, url);

  throw new AtsAuthError(
    'ERR_SERVER',
    `Revocation check failed: ${url.origin} answered ${response.status} to GET /token/verify; ` +
      'check the server URL and its version',
  );
}

/** Runs `token verify`: exit status 0 only for a valid token, else one per failure. */
export async function runTokenVerify(context: CommandContext, args: ParsedArgs) {
  const settings = readOutputSettings(args, 'table');
  const claimOptions = readClaimOptions(args);
  const config = loadSessionConfig(context);
  const secret = resolveJwtSecret(context, args, config);
  if (secret === undefined) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Missing secret to verify the signature: ${SECRET_SOURCES}`,
    );
  }

  const token = await readTokenArgument(context, args.positionals[0]);
  context.log.addSecret(token);
  const decoded = verifyHs256(token, createHs256Key(secret), claimOptions);
  if (args.values['check-revoked'] === true) {
    await checkNotRevoked(config.serverUrl, token, httpOptionsFor(context, args, config));
  }

  const record = describeToken(decoded, claimOptions.nowSeconds ?? nowSeconds(), 'verified');
  context.stdout.write(formatRecord(record, TOKEN_COLUMNS, settings));

  return 0;
}
