/**
 * `token decode` and `token verify`, which read a token without a server. Decode shows any
 * token, expired or not. Verify checks it and exits with one status per outcome.
 */

import { sendRequest } from '../../client/http.ts';
import type { HttpOptions } from '../../client/http.ts';
import { AtsAuthError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import type { ClaimOptions } from '../../jwt/claims.ts';
import { nowSeconds } from '../../jwt/claims.ts';
import { createHs256Key, decodeJwt, verifyHs256 } from '../../jwt/jws.ts';
import { isJsonObject } from '../../jwt/json.ts';
import {
  RECORD_FORMATS,
  formatRecord,
  outputOptions,
  readOutputSettings,
} from '../../format/output.ts';
import type { CommandSpec, OptionSpec, ParsedArgs, PositionalSpec } from '../command.ts';
import { SECRET_FILE_OPTION, SECRET_SOURCES, resolveJwtSecret } from '../secret-file.ts';
import {
  CONNECTION_OPTIONS,
  httpOptionsFor,
  loadSessionConfig,
  readTokenArgument,
} from '../session.ts';
import { parseDurationSeconds, parseTime } from '../time-options.ts';
import {
  TOKEN_COLUMNS,
  checkSignature,
  describeColumnsHelp,
  describeToken,
} from './token-record.ts';

/** Option that fixes the time of the checks, so that a check gives the same result later. */
export const NOW_OPTION: OptionSpec = {
  name: 'now',
  type: 'string',
  metavar: 'TIME',
  help: 'check times against TIME, in NumericDate seconds or ISO 8601 (default: the clock)',
};

export const TOKEN_POSITIONAL: PositionalSpec = {
  name: 'token',
  help: 'the token; - reads it from standard input (default: ATS_AUTH_TOKEN)',
  optional: true,
};

/** Returns --now in seconds, or the current time. */
export function readNow(args: ParsedArgs): number {
  const value = args.values['now'];

  return typeof value === 'string' ? parseTime(value, '--now') : nowSeconds();
}

export const tokenDecode: CommandSpec = {
  words: ['token', 'decode'],
  summary: 'Show the header and claims of a token',
  options: [SECRET_FILE_OPTION, NOW_OPTION, ...outputOptions(RECORD_FORMATS, 'table')],
  positionals: [TOKEN_POSITIONAL],
  epilog: describeColumnsHelp(
    'Shows any token, expired or not, without a server. The signature is checked when a ' +
      'secret is given; otherwise the claims are UNVERIFIED. ',
  ),
  async run(context, args) {
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
  },
};

function readClaimOptions(args: ParsedArgs): ClaimOptions {
  const options: ClaimOptions = { nowSeconds: readNow(args) };
  const { issuer, subject, leeway } = args.values;
  const minValidity = args.values['min-validity'];

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
 * says why; a body without a known code means another secret or another server.
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

const VERIFY_EXIT_HELP = `Exit status:
  0  the token is valid
  1  another failure, such as an unreadable secret file or no server
  2  usage error, such as no secret given
  3  malformed token
  4  bad signature, or an algorithm other than HS256
  5  expired
  6  not yet valid ("nbf" ahead)
  7  "iss" or "sub" differs from --issuer or --subject
  8  expires within --min-validity seconds
  9  revoked, with --check-revoked`;

export const tokenVerify: CommandSpec = {
  words: ['token', 'verify'],
  summary: 'Verify the signature and claims of a token',
  options: [
    SECRET_FILE_OPTION,
    { name: 'issuer', type: 'string', metavar: 'ISSUER', help: 'require this "iss" claim' },
    { name: 'subject', type: 'string', metavar: 'SUBJECT', help: 'require this "sub" claim' },
    {
      name: 'leeway',
      type: 'string',
      metavar: 'SECONDS',
      help: 'tolerate this clock difference to the issuer, in seconds (default: 0)',
    },
    NOW_OPTION,
    {
      name: 'min-validity',
      type: 'string',
      metavar: 'SECONDS',
      help: 'fail when the token expires within this many seconds',
    },
    {
      name: 'check-revoked',
      type: 'boolean',
      help: 'also ask the server (GET /token/verify) whether the token was revoked',
    },
    ...CONNECTION_OPTIONS,
    ...outputOptions(RECORD_FORMATS, 'table'),
  ],
  positionals: [TOKEN_POSITIONAL],
  epilog: `${VERIFY_EXIT_HELP}\n\n${describeColumnsHelp('')}`,
  detailedExitStatus: true,
  async run(context, args) {
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
  },
};
