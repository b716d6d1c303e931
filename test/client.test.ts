/**
 * The client against a real server: the CLI and the server both run as child processes,
 * on a SQLite file in a temporary directory and a loopback port.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { REPO_ROOT, cleanEnv, cliCommand, makeTempDir, runCli } from './helpers/cli.ts';
import { TEST_SECRET, addUsers, serverEnv, startServerProcess } from './helpers/server.ts';

const PASSWORD = 'correct-horse-battery-staple';
const JWT = /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}$/;

interface Setup {
  url: string;
  home: string;
  env: Record<string, string | undefined>;
  logs(): string;
}

async function setUp(t: TestContext, extra: Record<string, string | undefined> = {}): Promise<Setup> {
  const home = makeTempDir();
  const dbPath = join(home, 'ats-auth.db');
  await addUsers(dbPath, [
    { name: 'marco', password: PASSWORD },
    { name: 'anna', password: 'anna-password-1' },
  ]);
  const server = await startServerProcess({ t, env: serverEnv(dbPath) });

  return { url: server.url, home, env: cleanEnv(home, { ATS_AUTH_URL: server.url, ...extra }), logs: server.logs };
}

async function createToken(setup: Setup, args: readonly string[] = []) {
  return runCli([...args, 'token', 'create', '--username', 'marco', '--password-stdin'], {
    env: setup.env,
    cwd: setup.home,
    input: `${PASSWORD}\n`,
  });
}

async function gatewayStatus(url: string, token: string): Promise<number> {
  const answer = await fetch(new URL('token/verify', url), { headers: { Authorization: `Bearer ${token}` } });

  return answer.status;
}

function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}

describe('token create', () => {
  test('prints the token alone on stdout', async (t) => {
    const setup = await setUp(t);
    const result = await createToken(setup);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^eyJ[\w.-]+\n$/);
    assert.match(result.stdout.trim(), JWT);
    assert.equal(result.stderr, '');
  });

  test('takes the credentials from OS_USERNAME and OS_PASSWORD', async (t) => {
    const setup = await setUp(t, { OS_USERNAME: 'marco', OS_PASSWORD: PASSWORD });
    const result = await runCli(['token', 'create'], { env: setup.env, cwd: setup.home });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.trim(), JWT);
  });

  test('-v shows unverified claims without a secret', async (t) => {
    const setup = await setUp(t);
    const result = await createToken(setup, ['-v']);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'Configuration file: none',
      'Requesting new token...',
      'username: marco',
      "header: {'alg': 'HS256', 'typ': 'JWT'}",
    ]);
    assert.match(
      lines[4] ?? '',
      /^UNVERIFIED claims: \{'exp': \d+\.\d+, 'iat': \d+\.\d+, 'iss': 'ats\.auth', 'jti': '[\w-]+', 'sub': 'marco'\}$/,
    );
    assert.equal(lines.length, 5);
  });

  test('-v shows verified claims with the jwt_secret', async (t) => {
    const setup = await setUp(t);
    const config = join(setup.home, 'auth-client.ini');
    writeFileSync(config, `[client]\njwt_secret = ${TEST_SECRET}\n`, { mode: 0o600 });
    const result = await createToken(setup, ['-v']);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines[0], `Configuration file: auth-client.ini`);
    assert.match(lines[4] ?? '', /^claims: \{'exp': /);
    assert.equal(result.stderr.includes(TEST_SECRET), false);
  });

  test('a wrong jwt_secret fails and prints no token', async (t) => {
    const setup = await setUp(t, { ATS_AUTH_JWT_SECRET: 'wrong-secret' });
    const result = await createToken(setup);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /Signature verification failed/);
  });

  test('a wrong password is refused with exit 1', async (t) => {
    const setup = await setUp(t);
    const result = await runCli(['token', 'create', '--username', 'marco', '--password-stdin'], {
      env: setup.env,
      input: 'not-the-password\n',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Login failed for user "marco"/);
    assert.equal(result.stderr.includes('not-the-password'), false);
  });

  test('warns when the config file with the secret is world-readable', async (t) => {
    const setup = await setUp(t);
    const config = join(setup.home, 'open.ini');
    writeFileSync(config, `[client]\njwt_secret = ${TEST_SECRET}\n`);
    chmodSync(config, 0o644);
    const result = await createToken(setup, ['--config', config]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /chmod 600/);
  });
});

describe('token create at the terminal prompt', () => {
  function runAtPty(setup: Setup, send: string) {
    const [program, prefix] = cliCommand();
    const output = execFileSync(
      'python3',
      [
        join(REPO_ROOT, 'test/helpers/pty_run.py'),
        'Password for user marco: ',
        send,
        '--',
        program,
        ...prefix,
        'token',
        'create',
        '--username',
        'marco',
      ],
      { env: setup.env as NodeJS.ProcessEnv, cwd: setup.home, encoding: 'utf8' },
    );

    return JSON.parse(output) as {
      status: number;
      output: string;
      prompted: boolean;
      echo_at_prompt: boolean | null;
      echo_after: boolean;
    };
  }

  test('reads the password with echo off', async (t) => {
    const setup = await setUp(t);
    const result = runAtPty(setup, `${PASSWORD}\\r`);
    assert.equal(result.prompted, true);
    assert.equal(result.echo_at_prompt, false);
    assert.equal(result.status, 0, result.output);
    assert.equal(result.output.includes(PASSWORD), false);
    assert.match(result.output, /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}/);
    assert.equal(result.echo_after, true);
  });

  test('Ctrl-C exits 130 and restores echo', async (t) => {
    const setup = await setUp(t);
    const result = runAtPty(setup, 'abc\\x03');
    assert.equal(result.prompted, true);
    assert.equal(result.status, 130);
    assert.equal(result.echo_after, true);
    assert.doesNotMatch(result.output, /eyJ/);
  });
});

describe('token revoke', () => {
  test('revokes the token so that the gateway refuses it', async (t) => {
    const setup = await setUp(t);
    const token = (await createToken(setup)).stdout.trim();
    assert.equal(await gatewayStatus(setup.url, token), 204);

    const result = await runCli(['token', 'revoke', token], { env: setup.env });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, 'Logging out user marco\nToken revoked.\n');
    assert.equal(result.stdout, '');
    assert.equal(await gatewayStatus(setup.url, token), 401);
  });

  test('- reads the token from standard input and -q silences it', async (t) => {
    const setup = await setUp(t);
    const token = (await createToken(setup)).stdout.trim();
    const result = await runCli(['-q', 'token', 'revoke', '-'], { env: setup.env, input: `${token}\n` });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(await gatewayStatus(setup.url, token), 401);
  });

  test('rejects a malformed token before any request', async (t) => {
    const setup = await setUp(t);
    const result = await runCli(['token', 'revoke', 'not.a.token'], { env: setup.env });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Invalid/);
    assert.doesNotMatch(setup.logs(), /POST \/user\/logout/);
  });
});

describe('token revoke-all', () => {
  test('revokes earlier tokens; a token issued right after is valid', async (t) => {
    const setup = await setUp(t);
    const earlier = (await createToken(setup)).stdout.trim();
    const result = await runCli(['token', 'revoke-all', '--as-user', 'marco', '--password-stdin'], {
      env: setup.env,
      input: `${PASSWORD}\n`,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, 'All tokens revoked.\n');
    const later = (await createToken(setup)).stdout.trim();

    assert.equal(await gatewayStatus(setup.url, earlier), 401);
    assert.equal(await gatewayStatus(setup.url, later), 204);
  });

  test('accepts a token of the user as proof', async (t) => {
    const setup = await setUp(t);
    const token = (await createToken(setup)).stdout.trim();
    const result = await runCli(['token', 'revoke-all', '--as-user', 'marco'], {
      env: { ...setup.env, ATS_AUTH_TOKEN: token },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(await gatewayStatus(setup.url, token), 401);
  });

  test("refuses another user's tokens without proof", async (t) => {
    const setup = await setUp(t);
    const marcoToken = (await createToken(setup)).stdout.trim();
    const result = await runCli(['token', 'revoke-all', '--as-user', 'anna', '--token', marcoToken], {
      env: setup.env,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /forbidden|refused/);
    assert.equal(await gatewayStatus(setup.url, marcoToken), 204);
  });
});

describe('secrets in traces and logs', () => {
  test('--debug-requests -vv --log-file shows no password or signature', async (t) => {
    const setup = await setUp(t);
    const logFile = join(setup.home, 'client.log');
    const trace = ['--debug-requests', '-vv', '--log-file', logFile];
    const created = await createToken(setup, trace);
    assert.equal(created.status, 0, created.stderr);
    const token = created.stdout.trim();
    const second = (await createToken(setup)).stdout.trim();

    const revoked = await runCli([...trace, 'token', 'revoke', token], { env: setup.env });
    assert.equal(revoked.status, 0, revoked.stderr);
    const all = await runCli([...trace, 'token', 'revoke-all', '--as-user', 'marco', '--token', second], {
      env: setup.env,
    });
    assert.equal(all.status, 0, all.stderr);
    const withPassword = await runCli([...trace, 'token', 'revoke-all', '--as-user', 'marco', '--password-stdin'], {
      env: setup.env,
      input: `${PASSWORD}\n`,
    });
    assert.equal(withPassword.status, 0, withPassword.stderr);

    const shown = [created.stderr, revoked.stderr, all.stderr, withPassword.stderr, readFileSync(logFile, 'utf8')];
    for (const text of shown) {
      assert.match(text, /REQ: POST http:\/\/127\.0\.0\.1:\d+\/user\//);
      assert.equal(text.includes(PASSWORD), false);
      assert.equal(text.includes(signatureOf(token)), false);
      assert.equal(text.includes(signatureOf(second)), false);
    }
    const basic = Buffer.from(`marco:${PASSWORD}`).toString('base64');
    assert.equal(shown.join('\n').includes(basic), false);
    assert.equal(setup.logs().includes(PASSWORD), false);
    assert.equal(setup.logs().includes(signatureOf(token)), false);
  });
});
