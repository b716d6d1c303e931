/**
 * The JSON inside a token: UTF-8 text (RFC 8259, section 8.1) holding one object whose
 * objects, at every depth, have unique member names.
 */

import { AtsAuthError } from '../errors.ts';

/** A parsed JSON object, whose values stay untrusted until narrowed. */
export type JsonObject = Record<string, unknown>;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

// ignoreBOM keeps a leading U+FEFF in the text, where JSON.parse rejects it. RFC 8259,
// section 8.1 forbids adding a byte order mark to JSON sent over a network.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Returns whether `value` is a JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decodes UTF-8 `bytes` strictly. Throws ERR_TOKEN_MALFORMED, naming `label`, otherwise. */
export function decodeUtf8(bytes: Uint8Array, label: string): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid ${label}: not valid UTF-8`, {
      cause: error,
    });
  }
}

/**
 * Parses `text` as a JSON object. Throws ERR_TOKEN_MALFORMED, naming `label`, for invalid
 * JSON, a value that is not an object, or a member name repeated within one object.
 *
 * JSON.parse defines a `__proto__` member as an own data property, so member names never
 * reach a prototype. In Node 26 it parses a million nested arrays without overflowing the
 * stack, so nesting costs only time.
 */
export function parseJsonObject(text: string, label: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid ${label}: not valid JSON`, {
      cause: error,
    });
  }

  if (!isJsonObject(value)) {
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid ${label}: not a JSON object`);
  }

  // RFC 7515, section 5.2 and RFC 7519, section 4 allow either rejecting duplicate member
  // names or keeping the last one. Rejecting is safer: two parsers that keep different
  // duplicates would read different claims from one signed token.
  const duplicate = findDuplicateMemberName(text, value);
  if (duplicate !== undefined) {
    const quoted = JSON.stringify(duplicate.slice(0, 32));
    throw new AtsAuthError('ERR_TOKEN_MALFORMED', `Invalid ${label}: duplicate member ${quoted}`);
  }

  return value;
}

/**
 * Returns a member name that occurs twice in one object of `text`, the valid JSON that
 * `value` was parsed from, or undefined when every name is unique.
 */
export function findDuplicateMemberName(text: string, value: object): string | undefined {
  // Each member name in the text is a string followed by ':', and JSON.parse keeps one
  // member per distinct name in each object. So equal counts mean no name repeats, and
  // only a real duplicate pays for the scan that finds which one. Counting every ':' is
  // faster still and exact unless a string contains one (a URL, say), because
  // colons >= names >= parsed members.
  const members = countMembers(value);
  if (countColons(text) === members || countMemberNames(text) === members) return undefined;

  return scanForDuplicateMemberName(text);
}

function countColons(text: string): number {
  let count = 0;
  for (let index = text.indexOf(':'); index !== -1; index = text.indexOf(':', index + 1)) {
    count++;
  }

  return count;
}

/** Counts the strings in valid JSON `text` that are member names: those before a ':'. */
function countMemberNames(text: string): number {
  let count = 0;
  for (let start = text.indexOf('"'); start !== -1; ) {
    let next = findStringEnd(text, start) + 1;
    while (isJsonWhitespace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === COLON) count++;

    start = text.indexOf('"', next);
  }

  return count;
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Counts the members of every object in `root`, with a work list, not recursion. */
function countMembers(root: object): number {
  let count = 0;
  const pending: object[] = [root];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (Array.isArray(next)) {
      for (const item of next as unknown[]) {
        if (typeof item === 'object' && item !== null) pending.push(item);
      }
      continue;
    }

    const names = Object.keys(next);
    count += names.length;
    for (const name of names) {
      const item = (next as JsonObject)[name];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }

  return count;
}

/** Walks valid JSON text once and returns the first member name repeated in an object. */
function scanForDuplicateMemberName(text: string): string | undefined {
  // One entry per open container: the names seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectName = false;

  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === OPEN_BRACE) {
      open.push(new Set());
      expectName = true;
    } else if (code === OPEN_BRACKET) {
      open.push(null);
      expectName = false;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      open.pop();
      expectName = false;
    } else if (code === COMMA) {
      expectName = open.at(-1) instanceof Set;
    } else if (code === QUOTE) {
      const end = findStringEnd(text, index);
      const names = open.at(-1);
      if (expectName && names instanceof Set) {
        const name = decodeJsonString(text, index, end);
        if (names.has(name)) return name;

        names.add(name);
      }
      expectName = false;
      index = end;
    }
  }

  return undefined;
}

/** Returns the index of the quote that closes the string opening at `start`. */
function findStringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);

  return end === -1 ? text.length : end;
}

/** Returns whether an odd run of backslashes precedes `index`, escaping its character. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(index - 1 - backslashes) === BACKSLASH) backslashes++;

  return backslashes % 2 === 1;
}

function decodeJsonString(text: string, start: number, end: number): string {
  const literal = text.slice(start, end + 1);

  return literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
}
