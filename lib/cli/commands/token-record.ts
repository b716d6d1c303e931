/**
 * The record that `token decode`, `token verify` and `token create` print: the header
 * parameters, the registered claims, their times in ISO 8601, the time left and the
 * outcome of the signature check, one column each.
 */

import type { DecodedJwt } from '../../jwt/jws.ts';
import type { OutputRecord } from '../../format/output.ts';
import { wrapText } from '../help.ts';

/** Every column of a token record, in display order. */
export const TOKEN_COLUMNS = [
  'alg',
  'typ',
  'kid',
  'other_header',
  'iss',
  'sub',
  'aud',
  'jti',
  'iat',
  'iat_iso',
  'nbf',
  'nbf_iso',
  'exp',
  'exp_iso',
  'expires_in',
  'time_left',
  'other_claims',
  'signature',
] as const;

const HEADER_COLUMNS = new Set(['alg', 'typ', 'kid']);
const CLAIM_COLUMNS = new Set(['iss', 'sub', 'aud', 'jti', 'iat', 'nbf', 'exp']);

/**
 * Outcome of the signature check: `verified` when the HS256 signature matches the secret,
 * `UNVERIFIED` when no secret is given, `INVALID` when it does not match.
 */
export type SignatureState = 'verified' | 'UNVERIFIED' | 'INVALID';

/** Help paragraphs about the columns and `-f shell`, wrapped like the rest of the help. */
export function describeColumnsHelp(extra: string): string {
  const columns =
    `${extra}Columns for -c: alg, typ and kid are header parameters, and other_header holds ` +
    'the rest of the header as a JSON object. iss, sub, aud, jti, iat, nbf and exp are the ' +
    'registered claims, and other_claims holds the rest of the claims. iat_iso, nbf_iso ' +
    'and exp_iso are those times in ISO 8601 UTC. expires_in is the number of seconds ' +
    'until exp, negative once expired, and time_left says the same in words. signature is ' +
    '"verified" when the HS256 signature matches the secret, "UNVERIFIED" when no secret ' +
    'is given and "INVALID" when it does not match.';
  const shell =
    '-f shell prints NAME="value" lines to eval: NAME is the --prefix (default ATS_AUTH_) ' +
    'followed by the column name in upper case.';

  return [columns, shell].map((text) => wrapText(text, 78).join('\n')).join('\n\n');
}

function readMember(object: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** Returns the members of `object` not in `known`, or undefined when there are none. */
function otherMembers(object: Readonly<Record<string, unknown>>, known: ReadonlySet<string>) {
  const entries = Object.entries(object).filter(([name]) => !known.has(name));

  // fromEntries defines own properties, so a "__proto__" claim stays a plain member.
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/** Returns a NumericDate as ISO 8601 UTC, or undefined for a value that is not one. */
export function formatNumericDate(value: unknown): string | undefined {
  if (typeof value !== 'number') return undefined;

  const date = new Date(value * 1000);

  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Writes a non-negative number of seconds as `1 d 2 h 3 min 4 s`, from the largest unit. */
export function formatDuration(totalSeconds: number): string {
  const units = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ] as const;
  if (totalSeconds >= MAX_SHOWN_DURATION_SECONDS) return 'more than 10000 years';

  const parts: string[] = [];
  let rest = Math.floor(totalSeconds);

  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0 || size === 1) parts.push(`${count} ${unit}`);
  }

  return parts.join(' ');
}

/** Maximum duration time_left spells out; beyond it a NumericDate is not a real date. */
const MAX_SHOWN_DURATION_SECONDS = 10_000 * 365.25 * 86_400;

/** Builds the record that decode, verify and create print, at time `now` in seconds. */
export function describeToken(decoded: DecodedJwt, now: number, signature: SignatureState) {
  const { header, payload } = decoded;
  const exp = readMember(payload, 'exp');
  const hasExp = typeof exp === 'number' && Number.isFinite(exp);
  // Truncated toward zero, like the whole seconds in time_left and in the expiry error.
  const expiresIn = hasExp ? Math.trunc(exp - now) : undefined;
  let timeLeft: string | undefined;
  if (hasExp && exp > now) timeLeft = formatDuration(exp - now);
  else if (hasExp) timeLeft = `expired ${formatDuration(now - exp)} ago`;

  const record: OutputRecord = [
    ...[...HEADER_COLUMNS].map((name) => [name, readMember(header, name)] as const),
    ['other_header', otherMembers(header, HEADER_COLUMNS)],
    ['iss', readMember(payload, 'iss')],
    ['sub', readMember(payload, 'sub')],
    ['aud', readMember(payload, 'aud')],
    ['jti', readMember(payload, 'jti')],
    ...(['iat', 'nbf', 'exp'] as const).flatMap((name) => [
      [name, readMember(payload, name)] as const,
      [`${name}_iso`, formatNumericDate(readMember(payload, name))] as const,
    ]),
    ['expires_in', expiresIn],
    ['time_left', timeLeft],
    ['other_claims', otherMembers(payload, CLAIM_COLUMNS)],
    ['signature', signature],
  ];

  return record;
}
