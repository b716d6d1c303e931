/**
 * Descriptions of `token decode` and `token verify`, which read a token without a server:
 * their options and help. Each `run` loads its implementation from inspect.ts, so that
 * help and completion load no JWT, configuration or HTTP code.
 */

import { RECORD_FORMATS, outputOptions } from '../../format/output.ts';
import type { CommandSpec, OptionSpec, PositionalSpec } from '../command.ts';
import { SECRET_FILE_OPTION } from '../secret-file.ts';
import { CONNECTION_OPTIONS } from '../session-options.ts';
import { describeColumnsHelp } from './token-record.ts';

/** Option that fixes the time of the checks, so that a check gives the same result later. */
const NOW_OPTION: OptionSpec = {
  name: 'now',
  type: 'string',
  metavar: 'TIME',
  help: 'check times against TIME, in NumericDate seconds or ISO 8601 (default: the clock)',
};

const TOKEN_POSITIONAL: PositionalSpec = {
  name: 'token',
  help: 'the token; - reads it from standard input (default: ATS_AUTH_TOKEN)',
  optional: true,
};

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
    const { runTokenDecode } = await import('./inspect.ts');

    return runTokenDecode(context, args);
  },
};

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
    const { runTokenVerify } = await import('./inspect.ts');

    return runTokenVerify(context, args);
  },
};
