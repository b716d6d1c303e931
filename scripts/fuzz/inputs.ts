/**
 * Fuzz inputs for the HS256 codec: valid tokens bent by string mutations, random strings,
 * and mutated header or payload JSON that is then signed with the real key, so that the
 * checks behind the signature are reached too.
 */

import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { encodeBase64Url } from '../../lib/jwt/base64url.ts';
import { MAX_TOKEN_LENGTH } from '../../lib/jwt/jws.ts';
import type { Random } from './random.ts';

export type InputKind = 'mutated token' | 'random string' | 'signed payload' | 'signed header';

/** One generated input and how it was made. */
export interface FuzzInput {
  kind: InputKind;
  /** The mutations applied, in order, for the failure report. */
  mutations: string[];
  token: string;
}

/** Valid tokens and the JSON texts that mutations start from. */
export interface Corpus {
  key: KeyObject;
  tokens: string[];
  headers: string[];
  payloads: string[];
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ODD_CHARACTERS = ['é', '\u2028', '\ud800', '\0', '\ufeff'];
const TOKEN_CHARACTERS = [...ALPHABET, ...'.=+/ \n\t', ...ODD_CHARACTERS];
const JSON_CHARACTERS = [...'{}[]":,\\ -.0123456789eE', ...ODD_CHARACTERS];
const ODD_VALUES = ['"1"', 'null', 'true', '[]', '{}', '1e999', '-0', '1e-400', '1'.repeat(400)];
const ODD_NAMES = ['exp', 'nbf', 'iat', 'sub', 'alg', 'typ', 'crit', 'b64', 'cty', '__proto__'];

/** Builds tokens valid at `now` under `key`, with varied headers and payloads. */
export function buildCorpus(key: KeyObject, now: number): Corpus {
  const claims = { iss: 'ats.auth', sub: 'marco', iat: now - 1.5, exp: now + 3600.25 };
  const headers = [
    '{"alg":"HS256","typ":"JWT"}',
    '{"typ":"JWT",\r\n "alg":"HS256"}',
    '{"alg":"HS256"}',
    '{"alg":"HS256","kid":"2026-01","typ":"jwt"}',
  ];
  const payloads = [
    JSON.stringify({ ...claims, jti: '4f1c0de2a9b84c7f9e3d2b1a0c9d8e7f' }),
    JSON.stringify({ ...claims, iss: 'https://auth.example.com/', nbf: now - 60 }),
    JSON.stringify({ ...claims, sub: 'zoë \u{1F511}', roles: ['admin', { scope: 'a:b' }] }),
    JSON.stringify({ ...claims, pad: 'x'.repeat(5000) }),
    '{ "sub" : "marco" , "nested" : { "sub" : [ 1 , { "sub" : null } ] } }',
  ];

  const tokens = payloads.map((payload) => signText(headers[0] ?? '', payload, key));
  for (const header of headers.slice(1)) tokens.push(signText(header, payloads[0] ?? '{}', key));

  return { key, tokens, headers, payloads };
}

/** Signs header and payload bytes as given, so that the fuzzer can sign bent JSON. */
function signText(header: string | Buffer, payload: string | Buffer, key: KeyObject): string {
  const signingInput = `${encodeBase64Url(header)}.${encodeBase64Url(payload)}`;

  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

function insertAt(text: string, index: number, insertion: string): string {
  return `${text.slice(0, index)}${insertion}${text.slice(index)}`;
}

type Mutation = (random: Random, token: string, corpus: Corpus) => string;

const TOKEN_MUTATIONS: Record<string, Mutation> = {
  'flip bit': (random, token) => {
    const index = random.below(token.length);
    const code = token.charCodeAt(index) ^ (1 << random.below(random.chance(0.9) ? 7 : 16));

    return `${token.slice(0, index)}${String.fromCharCode(code)}${token.slice(index + 1)}`;
  },
  'flip decoded bit': (random, token) => {
    const segments = token.split('.');
    const segment = random.below(segments.length);
    const bytes = Buffer.from(segments[segment] ?? '', 'base64url');
    if (bytes.length === 0) return token;

    const index = random.below(bytes.length);
    bytes[index] = (bytes[index] ?? 0) ^ (1 << random.below(8));

    return segments.with(segment, encodeBase64Url(bytes)).join('.');
  },
  'insert character': (random, token) =>
    insertAt(token, random.below(token.length + 1), random.pick(TOKEN_CHARACTERS)),
  'delete characters': (random, token) => {
    const index = random.below(token.length + 1);

    return `${token.slice(0, index)}${token.slice(index + random.between(1, 4))}`;
  },
  'swap segments': (random, token) => {
    const segments = token.split('.');
    const [from, to] = [random.below(segments.length), random.below(segments.length)];
    const moved = segments[from] ?? '';
    if (random.chance(0.3)) return segments.toSpliced(to, 0, moved).join('.');
    if (random.chance(0.3)) return segments.toSpliced(from, 1).join('.');

    return segments.with(from, segments[to] ?? '').with(to, moved).join('.');
  },
  'random segment': (random, token) => {
    const segments = token.split('.');
    const length = random.below(120);
    const text = Array.from({ length }, () => random.pick([...ALPHABET])).join('');

    return segments.with(random.below(segments.length), text).join('.');
  },
  'random bytes segment': (random, token) => {
    const segments = token.split('.');
    const bytes = random.bytes(random.below(random.chance(0.2) ? 6200 : 80));

    return segments.with(random.below(segments.length), encodeBase64Url(bytes)).join('.');
  },
  'splice tokens': (random, token, corpus) => {
    const other = random.pick(corpus.tokens);

    const head = token.slice(0, random.below(token.length + 1));

    return `${head}${other.slice(random.below(other.length))}`;
  },
  'other signature': (random, token, corpus) => {
    const signature = random.pick(corpus.tokens).split('.')[2] ?? '';

    return `${token.slice(0, token.lastIndexOf('.'))}.${signature}`;
  },
  truncate: (random, token) => token.slice(0, random.below(token.length)),
  'add dot': (random, token) => (random.chance(0.5) ? `${token}.` : `.${token}`),
};

type JsonMutation = (random: Random, text: string) => string;

/** Returns the index just after the first '{', where a new member can go. */
function afterBrace(text: string): number {
  return text.indexOf('{') + 1;
}

const JSON_MUTATIONS: Record<string, JsonMutation> = {
  'insert JSON character': (random, text) =>
    insertAt(text, random.below(text.length + 1), random.pick(JSON_CHARACTERS)),
  'delete JSON characters': (random, text) => {
    const index = random.below(text.length + 1);

    return `${text.slice(0, index)}${text.slice(index + random.between(1, 3))}`;
  },
  'copy a slice': (random, text) => {
    const start = random.below(text.length + 1);
    const slice = text.slice(start, start + random.between(1, 24));

    return insertAt(text, random.below(text.length + 1), slice);
  },
  'add odd member': (random, text) => {
    const name = random.pick(ODD_NAMES);
    // An escaped first letter gives the same name in a different spelling.
    const escape = `\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}`;
    const spelled = random.chance(0.2) ? `${escape}${name.slice(1)}` : name;
    const member = `"${spelled}":${random.pick(ODD_VALUES)},`;

    return insertAt(text, afterBrace(text), member);
  },
  'add deep nesting': (random, text) => {
    const depth = random.between(1, random.chance(0.1) ? 6000 : 300);
    const open = random.chance(0.5) ? '[' : '{"d":';
    const close = open === '[' ? ']' : '}';
    const value = `${open.repeat(depth)}1${close.repeat(random.chance(0.9) ? depth : depth - 1)}`;

    return insertAt(text, afterBrace(text), `"deep":${value},`);
  },
  'byte order mark': (_random, text) => `\ufeff${text}`,
  'replace with a non-object': (random, text) =>
    random.pick(['[]', '"text"', '1', 'null', '', `[${text}]`, `${text} {}`]),
};

function mutateJson(random: Random, text: string, mutations: string[]): Buffer {
  let mutated = text;
  for (let round = random.between(1, 3); round > 0; round--) {
    const name = random.pick(Object.keys(JSON_MUTATIONS));
    mutations.push(name);
    mutated = JSON_MUTATIONS[name]?.(random, mutated) ?? mutated;
  }

  const bytes = Buffer.from(mutated, 'utf8');
  if (!random.chance(0.1)) return bytes;

  // Bytes that are never valid UTF-8 in this place, which a string cannot carry.
  mutations.push('invalid UTF-8 byte');
  const index = random.below(bytes.length + 1);

  const invalid = Buffer.of(random.pick([0xff, 0xc0, 0x80]));

  return Buffer.concat([bytes.subarray(0, index), invalid, bytes.subarray(index)]);
}

function generateRandomString(random: Random, mutations: string[]): string {
  const length = random.chance(0.05)
    ? random.between(MAX_TOKEN_LENGTH - 8, MAX_TOKEN_LENGTH * 3)
    : random.below(400);
  const style = random.pick(['base64url and dots', 'ASCII', 'any UTF-16 code unit']);
  mutations.push(`${style}, length ${length}`);

  const characters: string[] = [];
  for (let index = 0; index < length; index++) {
    if (style === 'base64url and dots') {
      characters.push(random.chance(0.03) ? '.' : random.pick([...ALPHABET]));
    } else {
      characters.push(String.fromCharCode(random.below(style === 'ASCII' ? 128 : 0x10000)));
    }
  }

  return characters.join('');
}

/** Generates one input from `random`, which the caller seeds per input index. */
export function generateInput(random: Random, corpus: Corpus): FuzzInput {
  const mutations: string[] = [];
  const roll = random.below(100);

  if (roll < 45) {
    let token = random.pick(corpus.tokens);
    for (let round = random.between(1, 3); round > 0; round--) {
      const name = random.pick(Object.keys(TOKEN_MUTATIONS));
      mutations.push(name);
      token = TOKEN_MUTATIONS[name]?.(random, token, corpus) ?? token;
    }

    return { kind: 'mutated token', mutations, token };
  }

  if (roll < 60) {
    return { kind: 'random string', mutations, token: generateRandomString(random, mutations) };
  }

  if (roll < 85) {
    const payload = mutateJson(random, random.pick(corpus.payloads), mutations);
    const token = signText(corpus.headers[0] ?? '', payload, corpus.key);

    return { kind: 'signed payload', mutations, token };
  }

  const header = mutateJson(random, random.pick(corpus.headers), mutations);
  const token = signText(header, corpus.payloads[0] ?? '', corpus.key);

  return { kind: 'signed header', mutations, token };
}
