import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { encodeBase64Url } from '../lib/jwt/base64url.ts';
import { createHs256Key, signHs256 } from '../lib/jwt/jws.ts';
import { cleanEnv, makeTempDir, runCli } from './helpers/cli.ts';
import * as serverHelpers from './helpers/server.ts';

const SECRET = 'inspect-test-secret-0123456789abcdef';
/** 2026-01-01T00:00:00Z; every check below runs at this time through --now. */
const NOW = 1767225600;

const MARCO = { iss: 'ats.auth', sub: 'marco', iat: NOW - 600, exp: NOW + 3000, jti: 'j-1' };

function sign(claims: Record<string, unknown>, secret = SECRET): string {
  return signHs256(claims, createHs256Key(secret));
}

/** Builds a token with any header and an HS256 signature, whatever `alg` the header names. */
function signWithHeader(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const valid = sign(claims).split('.');
  const headerSegment = encodeBase64Url(JSON.stringify(header));

  return `${headerSegment}.${valid[1]}.${valid[2]}`;
}

/** Signs arbitrary payload bytes, so that only the payload JSON is wrong. */
function signRawPayload(payload: string): string {
  const header = encodeBase64Url('{"alg":"HS256","typ":"JWT"}');
  const signingInput = `${header}.${encodeBase64Url(payload)}`;
  const signature = createHmac('sha256', SECRET).update(signingInput).digest('base64url');

  return `${signingInput}.${signature}`;
}

function env(extra: Record<string, string> = {}) {
  return cleanEnv(makeTempDir(), extra);
}

function withSecret(extra: Record<string, string> = {}) {
  return env({ ATS_AUTH_JWT_SECRET: SECRET, ...extra });
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

describe('token decode', () => {
  test('labels claims UNVERIFIED without a secret', async () => {
    const result = await runCli(['token', 'decode', sign(MARCO), '--now', String(NOW)], {
      env: env(),
    });

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^\| Field +\| Value +\|$/m);
    assert.match(result.stdout, /^\| sub +\| marco +\|$/m);
    assert.match(result.stdout, /^\| signature +\| UNVERIFIED +\|$/m);
  });

  test('shows times in ISO 8601 and time left', async () => {
    const token = sign({ ...MARCO, iat: 1446564641.016732 });
    const args = ['token', 'decode', token, '--now', String(NOW), '-f', 'json'];
    const parsed = JSON.parse((await runCli(args, { env: env() })).stdout);

    assert.equal(parsed.iat, 1446564641.016732);
    assert.equal(parsed.iat_iso, '2015-11-03T15:30:41.016Z');
    assert.equal(parsed.exp_iso, '2026-01-01T00:50:00.000Z');
    assert.equal(parsed.expires_in, 3000);
    assert.equal(parsed.time_left, '50 min 0 s');
  });

  test('shows an expired token', async () => {
    const token = sign({ ...MARCO, exp: NOW - 42 });
    const result = await runCli(['token', 'decode', token, '--now', String(NOW), '-f', 'json'], {
      env: withSecret(),
    });
    const parsed = JSON.parse(result.stdout);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(parsed.expires_in, -42);
    assert.equal(parsed.time_left, 'expired 42 s ago');
    assert.equal(parsed.signature, 'verified');
  });

  test('verifies with ATS_AUTH_JWT_SECRET', async () => {
    const result = await runCli(
      ['token', 'decode', sign(MARCO), '-f', 'value', '-c', 'signature'],
      {
        env: withSecret(),
      },
    );

    assert.equal(result.stdout, 'verified\n');
  });

  test('verifies with jwt_secret from the config file', async () => {
    const home = makeTempDir();
    const config = join(home, 'auth-client.ini');
    writeFileSync(config, `[client]\njwt_secret = ${SECRET}\n`, { mode: 0o600 });
    const args = [
      '--config',
      config,
      'token',
      'decode',
      sign(MARCO),
      '-f',
      'value',
      '-c',
      'signature',
    ];
    const result = await runCli(args, { env: cleanEnv(home) });

    assert.equal(result.stdout, 'verified\n', result.stderr);
  });

  test('verifies with --secret-file', async () => {
    const file = join(makeTempDir(), 'secret');
    writeFileSync(file, `  ${SECRET}  \nsecond line ignored\n`, { mode: 0o600 });
    const args = [
      'token',
      'decode',
      sign(MARCO),
      '--secret-file',
      file,
      '-f',
      'value',
      '-c',
      'signature',
    ];
    const result = await runCli(args, { env: env() });

    assert.equal(result.stdout, 'verified\n', result.stderr);
    assert.equal(result.stderr, '');
  });

  test('marks a signature from another secret INVALID', async () => {
    const token = sign(MARCO, 'another-secret-entirely');
    const result = await runCli(['token', 'decode', token, '-f', 'value', '-c', 'signature'], {
      env: withSecret(),
    });

    assert.equal(result.status, 0);
    assert.equal(result.stdout, 'INVALID\n');
    assert.match(result.stderr, /Signature verification failed/);
  });

  test('reads the token from standard input', async () => {
    const result = await runCli(['token', 'decode', '-', '-f', 'value', '-c', 'sub'], {
      env: env(),
      input: `${sign(MARCO)}\n`,
    });

    assert.equal(result.stdout, 'marco\n', result.stderr);
  });

  test('reads the token from ATS_AUTH_TOKEN', async () => {
    const result = await runCli(['token', 'decode', '-f', 'value', '-c', 'sub'], {
      env: env({ ATS_AUTH_TOKEN: sign(MARCO) }),
    });

    assert.equal(result.stdout, 'marco\n', result.stderr);
  });

  test('no token is a usage error', async () => {
    const result = await runCli(['token', 'decode'], { env: env() });

    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /Missing token: pass TOKEN, - to read standard input, or set ATS_AUTH_TOKEN/,
    );
  });

  test('a malformed token fails with status 1', async () => {
    const result = await runCli(['token', 'decode', 'not-a-token'], { env: env() });

    assert.equal(result.status, 1);
    assert.match(result.stderr, /Invalid token: expected three base64url segments/);
  });

  test('keeps private claims in other_claims', async () => {
    const token = sign({ sub: 'marco', role: 'admin', PATH: '/tmp/evil', ['__proto__']: { x: 1 } });
    const parsed = JSON.parse(
      (await runCli(['token', 'decode', token, '-f', 'json'], { env: env() })).stdout,
    );

    assert.deepEqual(Object.keys(parsed.other_claims), ['role', 'PATH', '__proto__']);
    assert.equal(parsed.other_claims.role, 'admin');
    assert.equal(Object.hasOwn(parsed, 'PATH'), false);
  });

  test('shows header parameters', async () => {
    const token = signWithHeader(
      { alg: 'HS256', typ: 'JWT', kid: 'k1', x5u: 'https://example.test' },
      MARCO,
    );
    const parsed = JSON.parse(
      (await runCli(['token', 'decode', token, '-f', 'json'], { env: env() })).stdout,
    );

    assert.equal(parsed.kid, 'k1');
    assert.deepEqual(parsed.other_header, { x5u: 'https://example.test' });
  });

  test('-f shell output survives eval in bash', async () => {
    const hostile = 'x"; touch PWNED; echo "$(touch PWNED)`touch PWNED`\n\\';
    const token = sign({ ...MARCO, sub: hostile, iss: "it's" });
    const dir = makeTempDir();
    const result = await runCli(['token', 'decode', token, '-f', 'shell', '--now', String(NOW)], {
      env: env(),
    });
    const names = '"$ATS_AUTH_SUB" "$ATS_AUTH_ISS" "$ATS_AUTH_EXPIRES_IN"';
    const script = `eval "$1"; printf '%s\\0' ${names}`;
    const shell = spawnSync('bash', ['-c', script, 'bash', result.stdout], {
      cwd: dir,
      encoding: 'utf8',
    });

    assert.equal(shell.status, 0, shell.stderr);
    assert.deepEqual(shell.stdout.split('\0').slice(0, -1), [hostile, "it's", '3000']);
    assert.equal(existsSync(join(dir, 'PWNED')), false);
  });

  test('--prefix renames shell variables', async () => {
    const args = ['token', 'decode', sign(MARCO), '-f', 'shell', '--prefix', 'T_', '-c', 'sub'];
    const result = await runCli(args, { env: env() });

    assert.equal(result.stdout, 'T_SUB="marco"\n');
  });

  test('escapes control characters in the table', async () => {
    const token = sign({ sub: '\u001b]0;owned\u0007\u001b[2J' });
    const result = await runCli(['token', 'decode', token], { env: env() });

    assert.equal(result.status, 0);
    assert.ok(!result.stdout.includes('\u001b'), result.stdout);
    assert.match(result.stdout, /\\u001b\]0;owned\\u0007/);
  });

  test('an unknown column is a usage error', async () => {
    const result = await runCli(['token', 'decode', sign(MARCO), '-c', 'nope'], { env: env() });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /Unknown column "nope" for -c: choose from alg, typ/);
  });

  test('yaml output names each column', async () => {
    const args = ['token', 'decode', sign(MARCO), '-f', 'yaml', '-c', 'sub', '-c', 'exp_iso'];
    const result = await runCli(args, { env: env() });

    assert.equal(result.stdout, 'sub: marco\nexp_iso: "2026-01-01T00:50:00.000Z"\n');
  });
});

/** One row per exit status of token verify; every token is checked at NOW. */
const VERIFY_CASES = [
  { name: 'valid token', token: () => sign(MARCO), args: [], status: 0 },
  { name: 'two segments', token: () => 'abc.def', args: [], status: 3 },
  { name: 'payload not JSON', token: () => signRawPayload('not json'), args: [], status: 3 },
  { name: 'payload an array', token: () => signRawPayload('[1]'), args: [], status: 3 },
  { name: 'exp not a number', token: () => sign({ ...MARCO, exp: 'soon' }), args: [], status: 3 },
  {
    name: 'another secret',
    token: () => sign(MARCO, 'another-secret-entirely'),
    args: [],
    status: 4,
  },
  { name: 'alg none', token: () => signWithHeader({ alg: 'none' }, MARCO), args: [], status: 4 },
  {
    name: 'alg HS512',
    token: () => signWithHeader({ alg: 'HS512', typ: 'JWT' }, MARCO),
    args: [],
    status: 4,
  },
  { name: 'expired', token: () => sign({ ...MARCO, exp: NOW - 1 }), args: [], status: 5 },
  { name: 'exp equal to now', token: () => sign({ ...MARCO, exp: NOW }), args: [], status: 5 },
  { name: 'nbf ahead', token: () => sign({ ...MARCO, nbf: NOW + 60 }), args: [], status: 6 },
  { name: 'issuer differs', token: () => sign(MARCO), args: ['--issuer', 'other'], status: 7 },
  { name: 'subject differs', token: () => sign(MARCO), args: ['--subject', 'root'], status: 7 },
  {
    name: 'issuer and subject match',
    token: () => sign(MARCO),
    args: ['--issuer', 'ats.auth', '--subject', 'marco'],
    status: 0,
  },
  {
    name: 'expires too soon',
    token: () => sign(MARCO),
    args: ['--min-validity', '3600'],
    status: 8,
  },
  {
    name: 'enough validity',
    token: () => sign(MARCO),
    args: ['--min-validity', '2999'],
    status: 0,
  },
  {
    name: 'leeway covers expiry',
    token: () => sign({ ...MARCO, exp: NOW - 10 }),
    args: ['--leeway', '30'],
    status: 0,
  },
  {
    name: 'leeway covers nbf',
    token: () => sign({ ...MARCO, nbf: NOW + 10 }),
    args: ['--leeway', '30'],
    status: 0,
  },
] as const;

describe('token verify', () => {
  for (const { name, token, args, status } of VERIFY_CASES) {
    test(`exits ${status} for ${name}`, async () => {
      const result = await runCli(['token', 'verify', token(), '--now', String(NOW), ...args], {
        env: withSecret(),
      });

      assert.equal(result.status, status, result.stderr);
      if (status === 0) assert.match(result.stdout, /^\| signature +\| verified +\|$/m);
      else assert.equal(result.stdout, '');
    });
  }

  test('--now takes ISO 8601', async () => {
    const token = sign({ ...MARCO, exp: NOW + 60 });
    const before = await runCli(['token', 'verify', token, '--now', '2026-01-01T00:00:59Z'], {
      env: withSecret(),
    });
    const after = await runCli(['token', 'verify', token, '--now', '2026-01-01T01:00:00+01:00'], {
      env: withSecret(),
    });

    assert.equal(before.status, 0, before.stderr);
    assert.equal(after.status, 0, after.stderr);
  });

  test('--now past exp exits 5', async () => {
    const token = sign({ ...MARCO, exp: NOW + 60 });
    const result = await runCli(['token', 'verify', token, '--now', '2026-01-01T00:01:00Z'], {
      env: withSecret(),
    });

    assert.equal(result.status, 5);
  });

  const usageCases = [
    {
      args: ['--now', 'tomorrow'],
      message: /Invalid --now "tomorrow": expected NumericDate seconds/,
    },
    {
      args: ['--now', '2026-01-01T00:00:00'],
      message: /Invalid --now "2026-01-01T00:00:00": add a time zone/,
    },
    {
      args: ['--leeway', '-1'],
      message: /Invalid --leeway "-1": expected a number of seconds, 0 or more/,
    },
    { args: ['--min-validity', 'x'], message: /Invalid --min-validity "x"/ },
    { args: ['-f', 'xml'], message: /Invalid value "xml" for --format: choose one of table, json/ },
  ];
  for (const { args, message } of usageCases) {
    test(`${args.join(' ')} is a usage error`, async () => {
      const result = await runCli(['token', 'verify', sign(MARCO), ...args], { env: withSecret() });

      assert.equal(result.status, 2);
      assert.match(result.stderr, message);
    });
  }

  test('a missing secret names the three sources', async () => {
    const result = await runCli(['token', 'verify', sign(MARCO)], { env: env() });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /Missing secret to verify the signature: pass --secret-file FILE/);
    assert.match(result.stderr, /set ATS_AUTH_JWT_SECRET/);
    assert.match(result.stderr, /jwt_secret in the \[client\] section/);
  });

  test('a missing secret file names the file', async () => {
    const file = join(makeTempDir(), 'no-such-secret');
    const result = await runCli(['token', 'verify', sign(MARCO), '--secret-file', file], {
      env: env(),
    });

    assert.equal(result.status, 1);
    assert.ok(
      result.stderr.includes(`Cannot read secret file ${file}: no such file`),
      result.stderr,
    );
  });

  test('an empty secret file names the file', async () => {
    const file = join(makeTempDir(), 'empty-secret');
    writeFileSync(file, '  \n', { mode: 0o600 });
    const result = await runCli(['token', 'verify', sign(MARCO), '--secret-file', file], {
      env: env(),
    });

    assert.equal(result.status, 1);
    assert.ok(
      result.stderr.includes(`Invalid secret file ${file}: its first line is empty`),
      result.stderr,
    );
  });

  test('warns about a secret file others can read', async () => {
    const file = join(makeTempDir(), 'open-secret');
    writeFileSync(file, SECRET);
    chmodSync(file, 0o644);
    const args = ['token', 'verify', sign(MARCO), '--secret-file', file, '--now', String(NOW)];
    const result = await runCli(args, { env: env() });

    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.stderr.includes(`run chmod 600 ${file}`), result.stderr);
  });

  test('--secret-file overrides ATS_AUTH_JWT_SECRET', async () => {
    const file = join(makeTempDir(), 'secret');
    writeFileSync(file, 'another-secret-entirely\n', { mode: 0o600 });
    const args = ['token', 'verify', sign(MARCO), '--secret-file', file, '--now', String(NOW)];
    const result = await runCli(args, { env: withSecret() });

    assert.equal(result.status, 4);
  });

  test('reads the token from standard input', async () => {
    const result = await runCli(
      ['token', 'verify', '-', '--now', String(NOW), '-f', 'value', '-c', 'sub'],
      {
        env: withSecret(),
        input: `${sign(MARCO)}\r\n`,
      },
    );

    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'marco\n');
  });

  test('-f json output parses', async () => {
    const args = ['token', 'verify', sign(MARCO), '--now', String(NOW), '-f', 'json'];
    const result = await runCli(args, { env: withSecret() });
    const parsed = JSON.parse(result.stdout);

    assert.equal(parsed.sub, 'marco');
    assert.equal(parsed.expires_in, 3000);
    assert.equal(parsed.signature, 'verified');
  });

  const jsonErrorCases = [
    { token: () => sign({ ...MARCO, exp: NOW - 5 }), code: 'ERR_TOKEN_EXPIRED', status: 5 },
    { token: () => sign(MARCO, 'another-secret-entirely'), code: 'ERR_TOKEN_SIGNATURE', status: 4 },
    { token: () => 'x.y', code: 'ERR_TOKEN_MALFORMED', status: 3 },
  ];
  for (const { token, code, status } of jsonErrorCases) {
    test(`-f json reports ${code} as JSON`, async () => {
      const args = ['token', 'verify', token(), '--now', String(NOW), '-f', 'json'];
      const result = await runCli(args, { env: withSecret() });
      const parsed = JSON.parse(lastLine(result.stderr));

      assert.equal(result.status, status);
      assert.equal(result.stdout, '');
      assert.deepEqual(Object.keys(parsed), ['error']);
      assert.equal(parsed.error.code, code);
      assert.equal(parsed.error.exit_status, status);
      assert.equal(typeof parsed.error.message, 'string');
      assert.ok(result.stderr.includes(`ats-auth: error: ${parsed.error.message}`), result.stderr);
    });
  }

  test('-f json reports usage errors as JSON', async () => {
    const result = await runCli(['token', 'verify', '--format=json', '--bogus'], {
      env: withSecret(),
    });
    const parsed = JSON.parse(lastLine(result.stderr));

    assert.equal(result.status, 2);
    assert.equal(parsed.error.code, 'ERR_USAGE');
    assert.equal(parsed.error.exit_status, 2);
    assert.match(parsed.error.message, /'--bogus' is not an option of 'token verify'/);
  });

  test('-f json reports an unknown command as JSON', async () => {
    const result = await runCli(['tokn', 'verfy', '-f', 'json'], { env: env() });
    const parsed = JSON.parse(lastLine(result.stderr));

    assert.equal(result.status, 2);
    assert.equal(parsed.error.code, 'ERR_USAGE');
  });

  test('without -f json errors are one plain line', async () => {
    const token = sign({ ...MARCO, exp: NOW - 5 });
    const result = await runCli(['token', 'verify', token, '--now', String(NOW)], {
      env: withSecret(),
    });

    assert.equal(result.status, 5);
    assert.equal(
      result.stderr,
      `ats-auth: error: Token has expired: "exp" passed 5 s ago, request a new token\n`,
    );
  });

  test('help lists every exit status', async () => {
    const result = await runCli(['token', 'verify', '-h'], { env: env() });

    assert.equal(result.status, 0);
    for (const status of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      assert.match(result.stdout, new RegExp(`^ {2}${status} {2}\\S`, 'm'));
    }
  });
});

describe('token verify --check-revoked', () => {
  test('exits 9 once the server revoked the token', async (t) => {
    const dbPath = join(serverHelpers.makeTempDir(t), 'ats-auth.db');
    const server = await serverHelpers.startServerProcess({
      t,
      env: serverHelpers.serverEnv(dbPath),
    });
    const now = Math.floor(Date.now() / 1000);
    const token = sign(
      { iss: 'ats.auth', sub: 'marco', iat: now - 5, exp: now + 3600, jti: 'rev-1' },
      serverHelpers.TEST_SECRET,
    );
    const clientEnv = env({
      ATS_AUTH_URL: server.url,
      ATS_AUTH_JWT_SECRET: serverHelpers.TEST_SECRET,
    });
    const verifyArgs = ['token', 'verify', token, '--check-revoked', '-f', 'value', '-c', 'sub'];

    const before = await runCli(verifyArgs, { env: clientEnv });
    assert.equal(before.status, 0, before.stderr);
    assert.equal(before.stdout, 'marco\n');

    const revoke = await runCli(['token', 'revoke', token], { env: clientEnv });
    assert.equal(revoke.status, 0, revoke.stderr);

    const after = await runCli(verifyArgs, { env: clientEnv });
    assert.equal(after.status, 9, after.stderr);
    assert.equal(after.stdout, '');
    assert.match(after.stderr, /Token rejected by http:\/\/127\.0\.0\.1:\d+: it was revoked/);
  });

  test('an unreachable server exits 1', async () => {
    const clientEnv = withSecret({ ATS_AUTH_URL: 'http://127.0.0.1:9/' });
    const args = [
      'token',
      'verify',
      sign(MARCO),
      '--now',
      String(NOW),
      '--check-revoked',
      '--timeout',
      '5',
    ];
    const result = await runCli(args, { env: clientEnv });

    assert.equal(result.status, 1);
    assert.match(result.stderr, /Cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
