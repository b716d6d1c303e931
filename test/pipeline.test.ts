import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { decodeJwt } from '../lib/jwt/jws.ts';
import { cleanEnv, cliCommand, makeTempDir, runCli } from './helpers/cli.ts';
import * as serverHelpers from './helpers/server.ts';

const PASSWORD = 'pipeline-pw-Zq8!unlikely';
const TOKEN_LINE = /^[\w-]+\.[\w-]+\.[\w-]+\n$/;

/** Starts a real server with user marco and returns a client environment pointing at it. */
async function startServerWithUser(t: TestContext, extra: Record<string, string> = {}) {
  const dbPath = join(serverHelpers.makeTempDir(t), 'ats-auth.db');
  await serverHelpers.addUsers(dbPath, [{ name: 'marco', password: PASSWORD }]);
  const server = await serverHelpers.startServerProcess({
    t,
    env: serverHelpers.serverEnv(dbPath),
  });

  return cleanEnv(makeTempDir(), { ATS_AUTH_URL: server.url, OS_USERNAME: 'marco', ...extra });
}

function createToken(env: Record<string, string | undefined>, args: readonly string[] = []) {
  return runCli(['token', 'create', '--password-stdin', ...args], { env, input: `${PASSWORD}\n` });
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

/** Runs a bash script with "$@" set to the command that starts the CLI. */
function runBash(script: string, env: Record<string, string | undefined>) {
  const [program, prefix] = cliCommand();
  const child = spawn('bash', ['--norc', '--noprofile', '-c', script, 'bash', program, ...prefix], {
    cwd: makeTempDir(),
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));

  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('token create output', () => {
  test('prints the bare token by default', async (t) => {
    const result = await createToken(await startServerWithUser(t));

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, TOKEN_LINE);
    assert.equal(decodeJwt(result.stdout.trim()).payload['sub'], 'marco');
    assert.equal(result.stderr, '');
  });

  test('-f value -c token prints the bare token', async (t) => {
    const result = await createToken(await startServerWithUser(t), ['-f', 'value', '-c', 'token']);

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, TOKEN_LINE);
  });

  test('-f json shows the token and its claims', async (t) => {
    const env = await startServerWithUser(t);
    const result = await createToken(env, ['-f', 'json']);
    const parsed = JSON.parse(result.stdout);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(decodeJwt(parsed.token).payload['sub'], 'marco');
    assert.equal(parsed.sub, 'marco');
    assert.equal(parsed.iss, 'ats.auth');
    assert.equal(parsed.exp - parsed.iat, 3600);
    assert.equal(parsed.signature, 'UNVERIFIED');
  });

  test('-f json says verified when the secret is known', async (t) => {
    const env = await startServerWithUser(t, { ATS_AUTH_JWT_SECRET: serverHelpers.TEST_SECRET });
    const result = await createToken(env, ['-f', 'json', '-c', 'signature']);

    assert.deepEqual(JSON.parse(result.stdout), { signature: 'verified' });
  });

  test('--secret-file verifies the new token', async (t) => {
    const file = join(makeTempDir(), 'secret');
    writeFileSync(file, `${serverHelpers.TEST_SECRET}\n`, { mode: 0o600 });
    const result = await createToken(await startServerWithUser(t), [
      '--secret-file',
      file,
      '-f',
      'value',
      '-c',
      'signature',
    ]);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'verified\n');
  });

  test('a wrong --secret-file prints no token', async (t) => {
    const file = join(makeTempDir(), 'secret');
    writeFileSync(file, 'not-the-server-secret\n', { mode: 0o600 });
    const result = await createToken(await startServerWithUser(t), ['--secret-file', file]);

    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /Signature verification failed/);
  });

  test('-c without -f is a usage error before login', async () => {
    const env = cleanEnv(makeTempDir(), {
      ATS_AUTH_URL: 'http://127.0.0.1:9/',
      OS_USERNAME: 'marco',
    });
    const result = await runCli(['token', 'create', '-c', 'token'], { env });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /Option -c needs -f table, json, shell, value or yaml: add one/);
  });

  test('-f json reports failed logins as JSON', async (t) => {
    const env = await startServerWithUser(t);
    const result = await runCli(['token', 'create', '--password-stdin', '-f', 'json'], {
      env,
      input: 'wrong password\n',
    });
    const parsed = JSON.parse(lastLine(result.stderr));

    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.equal(parsed.error.code, 'ERR_BAD_CREDENTIALS');
    assert.equal(parsed.error.exit_status, 1);
    assert.ok(!result.stderr.includes('wrong password'), result.stderr);
  });
});

describe('token create -f shell', () => {
  test('sets ATS_AUTH_TOKEN for the next steps', async (t) => {
    const env = await startServerWithUser(t, { ATS_AUTH_JWT_SECRET: serverHelpers.TEST_SECRET });
    const script = `set -e
      eval "$("$@" token create --password-stdin -f shell <<< '${PASSWORD}')"
      export ATS_AUTH_TOKEN
      "$@" token verify -f value -c sub
      printf '%s\\n' "$ATS_AUTH_SUB" "$ATS_AUTH_SIGNATURE"`;
    const result = await runBash(script, env);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'marco\nmarco\nverified\n');
  });

  test('--prefix changes the variable names', async (t) => {
    const result = await createToken(await startServerWithUser(t), [
      '-f',
      'shell',
      '--prefix',
      'K_',
      '-c',
      'sub',
      '-c',
      'token',
    ]);

    assert.match(result.stdout, /^K_SUB="marco"\nK_TOKEN="[\w.-]+"\n$/);
  });
});

describe('token create -f exec-credential', () => {
  test('prints a v1 ExecCredential', async (t) => {
    const result = await createToken(await startServerWithUser(t), ['-f', 'exec-credential']);
    const credential = JSON.parse(result.stdout);
    const exp = decodeJwt(credential.status.token).payload['exp'] as number;

    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(Object.keys(credential), ['apiVersion', 'kind', 'status']);
    assert.equal(credential.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(credential.kind, 'ExecCredential');
    assert.deepEqual(Object.keys(credential.status), ['token', 'expirationTimestamp']);
    assert.match(credential.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(Date.parse(credential.status.expirationTimestamp) / 1000, Math.floor(exp));
  });

  test('answers the version KUBERNETES_EXEC_INFO names', async (t) => {
    const info = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    const env = await startServerWithUser(t, { KUBERNETES_EXEC_INFO: info });
    const result = await createToken(env, ['-f', 'exec-credential']);

    assert.equal(JSON.parse(result.stdout).apiVersion, 'client.authentication.k8s.io/v1beta1');
  });

  for (const info of ['x', 'null', '{"apiVersion":5}', '{"apiVersion":"client.authentication.k8s.io/v1alpha1"}']) {
    test(`warns about KUBERNETES_EXEC_INFO ${info}`, async (t) => {
      const env = await startServerWithUser(t, { KUBERNETES_EXEC_INFO: info });
      const result = await createToken(env, ['-f', 'exec-credential']);

      assert.equal(JSON.parse(result.stdout).apiVersion, 'client.authentication.k8s.io/v1');
      assert.match(result.stderr, /Ignoring KUBERNETES_EXEC_INFO: .*; printing client\.authentication\.k8s\.io\/v1/);
    });
  }

  test('-c is rejected', async () => {
    const env = cleanEnv(makeTempDir(), { OS_USERNAME: 'marco' });
    const result = await runCli(['token', 'create', '-f', 'exec-credential', '-c', 'token'], {
      env,
    });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /remove -c/);
  });
});

describe('token create in GitHub Actions', () => {
  test('masks the token on stderr', async (t) => {
    const result = await createToken(await startServerWithUser(t, { GITHUB_ACTIONS: 'true' }));
    const token = result.stdout.trim();

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, TOKEN_LINE);
    assert.equal(result.stderr, `::add-mask::${token}\n`);
  });

  test('masks before any log line, even with -q', async (t) => {
    const env = await startServerWithUser(t, { GITHUB_ACTIONS: 'true' });
    const verbose = await createToken(env, ['-v']);
    const quiet = await createToken(env, ['-q']);
    const token = verbose.stdout.trim();
    const lines = verbose.stderr.split('\n');

    assert.equal(verbose.status, 0, verbose.stderr);
    assert.ok(lines.indexOf(`::add-mask::${token}`) >= 0, verbose.stderr);
    assert.ok(
      lines.indexOf(`::add-mask::${token}`) < lines.findIndex((line) => line.startsWith('header:')),
    );
    assert.equal(verbose.stderr.split(token).length, 2, 'the token appears once on stderr');
    assert.equal(quiet.stderr, `::add-mask::${quiet.stdout.trim()}\n`);
  });

  test('masks with -f exec-credential too', async (t) => {
    const env = await startServerWithUser(t, { GITHUB_ACTIONS: 'true' });
    const result = await createToken(env, ['-f', 'exec-credential']);
    const token = JSON.parse(result.stdout).status.token;

    assert.equal(result.stderr, `::add-mask::${token}\n`);
  });

  test('--no-mask turns masking off', async (t) => {
    const result = await createToken(await startServerWithUser(t, { GITHUB_ACTIONS: 'true' }), [
      '--no-mask',
    ]);

    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  test('no mask outside GitHub Actions', async (t) => {
    const result = await createToken(await startServerWithUser(t, { GITHUB_ACTIONS: 'false' }));

    assert.equal(result.stderr, '');
  });
});

describe('pipeline from login to revocation', () => {
  test('create, verify, revoke, verify again', async (t) => {
    const env = await startServerWithUser(t, { ATS_AUTH_JWT_SECRET: serverHelpers.TEST_SECRET });
    const created = await createToken(env);
    const token = created.stdout.trim();

    const verified = await runCli(
      ['token', 'verify', '-', '--check-revoked', '--issuer', 'ats.auth'],
      {
        env,
        input: `${token}\n`,
      },
    );
    assert.equal(verified.status, 0, verified.stderr);

    const revoked = await runCli(['token', 'revoke', '-'], { env, input: `${token}\n` });
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stderr, /Token revoked\./);

    const offline = await runCli(['token', 'verify', token, '-f', 'value', '-c', 'sub'], { env });
    assert.equal(offline.status, 0, 'without --check-revoked the signature still verifies');
    assert.equal(offline.stdout, 'marco\n');

    const online = await runCli(['token', 'verify', token, '--check-revoked', '-f', 'json'], {
      env,
    });
    assert.equal(online.status, 9);
    assert.equal(JSON.parse(lastLine(online.stderr)).error.code, 'ERR_TOKEN_REVOKED');
  });

  test('verify --min-validity asks for a fresh token', async (t) => {
    const env = await startServerWithUser(t, { ATS_AUTH_JWT_SECRET: serverHelpers.TEST_SECRET });
    const token = (await createToken(env)).stdout.trim();
    const result = await runCli(['token', 'verify', token, '--min-validity', '7200'], { env });

    assert.equal(result.status, 8);
    assert.match(result.stderr, /less than the 7200 s required/);
  });
});
