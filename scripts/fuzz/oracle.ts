/**
 * An independent model of what the HS256 codec must accept, written differently from
 * lib/jwt (regular expressions and a token walk in place of round trips and counts), so
 * that the fuzzer can compare the two on every input.
 */

import { Buffer } from 'node:buffer';

const MAX_TOKEN_LENGTH = 8192;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const JSON_TOKEN = /"(?:[^"\\]|\\[\s\S])*"|[{}[\]:,]/g;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The header and payload of a token the model accepts as well formed. */
export interface ModelToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

function isCanonicalBase64Url(segment: string): boolean {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return false;

  const unusedBits = [0, 0, 4, 2][segment.length % 4] ?? 0;
  const last = ALPHABET.indexOf(segment.at(-1) ?? 'A');

  return (last & ((1 << unusedBits) - 1)) === 0;
}

/** Returns whether valid JSON `text` repeats a member name within one object. */
export function hasDuplicateMemberName(text: string): boolean {
  const objects: (Set<string> | null)[] = [];
  let lastString: string | undefined;

  for (const [token] of text.matchAll(JSON_TOKEN)) {
    if (token === ':') {
      const names = objects.at(-1);
      if (names && lastString !== undefined) {
        if (names.has(lastString)) return true;

        names.add(lastString);
      }
    } else if (token === '{') {
      objects.push(new Set());
    } else if (token === '[') {
      objects.push(null);
    } else if (token === '}' || token === ']') {
      objects.pop();
    }

    lastString = token.startsWith('"') ? (JSON.parse(token) as string) : undefined;
  }

  return false;
}

function parseObject(segment: string): Record<string, unknown> | undefined {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(Buffer.from(segment, 'base64url'));
    value = JSON.parse(text);
  } catch {
    return undefined;
  }

  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject || hasDuplicateMemberName(text)) return undefined;

  return value as Record<string, unknown>;
}

/** Returns the header and payload when `token` is well formed, as decodeJwt() must. */
export function decodeModel(token: string): ModelToken | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;

  const segments = token.split('.');
  if (segments.length !== 3 || !segments.every(isCanonicalBase64Url)) return undefined;

  const header = parseObject(segments[0] ?? '');
  const payload = parseObject(segments[1] ?? '');

  return header && payload ? { header, payload } : undefined;
}

function ownValue(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** Returns whether a header passes the rules verifyHs256() applies. */
export function isAcceptedHeader(header: Record<string, unknown>): boolean {
  if (ownValue(header, 'alg') !== 'HS256') return false;
  if (['crit', 'b64', 'cty'].some((name) => Object.hasOwn(header, name))) return false;

  const typ = ownValue(header, 'typ');

  return typ === undefined || (typeof typ === 'string' && /^(application\/)?jwt$/i.test(typ));
}

/** Returns whether the time claims of a payload pass at `now` without leeway. */
export function isAcceptedPayload(payload: Record<string, unknown>, now: number): boolean {
  for (const name of ['exp', 'nbf', 'iat']) {
    const value = ownValue(payload, name);
    if (value !== undefined && !Number.isFinite(value)) return false;
  }

  const exp = ownValue(payload, 'exp') as number | undefined;
  const nbf = ownValue(payload, 'nbf') as number | undefined;

  return (exp === undefined || now < exp) && (nbf === undefined || now >= nbf);
}

/**
 * Returns whether two JSON.parse results are equal, with a work list in place of the
 * recursion of util.isDeepStrictEqual(), which overflows the stack on deep nesting.
 */
export function isSameJson(left: unknown, right: unknown): boolean {
  const pending: [unknown, unknown][] = [[left, right]];
  for (let pair = pending.pop(); pair !== undefined; pair = pending.pop()) {
    const [a, b] = pair;
    if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
      if (!Object.is(a, b)) return false;
      continue;
    }
    if (Array.isArray(a) !== Array.isArray(b)) return false;

    const names = Object.keys(a);
    if (!isSameList(names, Object.keys(b))) return false;

    for (const name of names) {
      pending.push([(a as Record<string, unknown>)[name], (b as Record<string, unknown>)[name]]);
    }
  }

  return true;
}

function isSameList(left: string[], right: string[]): boolean {
  return left.length === right.length && left.every((item, index) => item === right[index]);
}
