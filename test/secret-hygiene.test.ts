/**
 * Every command, on success and failure paths, with the most talkative options: no
 * password, jwt_secret or token signature may reach stdout, stderr, the log file or the
 * server's log. The only exception is the token that `token create` prints on stdout.
 */

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { cleanEnv, makeTempDir, runCli } from './helpers/cli.ts';
import type { CliResult } from './helpers/cli.ts';
import { TEST_SECRET, addUsers, serverEnv, signToken, startServerProcess } from './helpers/server.ts';

const PASSWORD = 'Pa55word-that-must-not-leak';
const ADMIN_PASSWORD = 'Adm1n-password-that-must-not-leak';
const NEW_PASSWORD = 'N3w-password-that-must-not-leak';
const WRONG_PASSWORD = 'Wr0ng-password-that-must-not-leak';
const LOUD = ['--debug', '--debug-requests', '-vv'];

function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}

test('no command leaks a secret', async (t) => {
  const home = makeTempDir();
  const dbPath = join(home, 'ats-auth.db');
  const logFile = join(home, 'client.log');
  await addUsers(dbPath, [
    { name: 'marco', password: PASSWORD },
    { name: 'root', password: ADMIN_PASSWORD, isAdmin: true },
  ]);
  const server = await startServerProcess({ t, env: serverEnv(dbPath) });
  const config = join(home, 'auth-client.ini');
  writeFileSync(config, `[client]\njwt_secret = ${TEST_SECRET}\n`, { mode: 0o600 });
  const secretFile = join(home, 'secret');
  writeFileSync(secretFile, `${TEST_SECRET}\n`, { mode: 0o600 });

  const env = cleanEnv(home, { ATS_AUTH_URL: server.url, ATSAUTH_DB: dbPath });
  const outputs: { name: string; result: CliResult; printsToken?: boolean }[] = [];
  const run = async (name: string, args: readonly string[], input = '', extraEnv = {}) => {
    const result = await runCli([...LOUD, '--log-file', logFile, '--config', config, ...args], {
      env: { ...env, ...extraEnv },
      cwd: home,
      input,
    });
    outputs.push({ name, result });

    return result;
  };

  const created = await run('token create', ['token', 'create', '--username', 'marco', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(created.status, 0, created.stderr);
  (outputs.at(-1) as { printsToken?: boolean }).printsToken = true;
  const token = created.stdout.trim();
  const second = (await run('token create -f json', ['token', 'create', '--username', 'marco', '--password', PASSWORD, '-f', 'json', '-c', 'sub'])).stdout;
  assert.match(second, /marco/);

  const results = [
    await run('token create, wrong password', ['token', 'create', '--username', 'marco', '--password-stdin'], `${WRONG_PASSWORD}\n`),
    await run('token create, OS_PASSWORD', ['token', 'create', '--username', 'marco'], '', { OS_PASSWORD: WRONG_PASSWORD }),
    await run('token create, wrong secret', ['token', 'create', '--username', 'marco', '--password-stdin'], `${PASSWORD}\n`, { ATS_AUTH_JWT_SECRET: 'other-secret-value' }),
    await run('token decode', ['token', 'decode', token]),
    await run('token decode, stdin', ['token', 'decode', '-'], `${token}\n`),
    await run('token decode -f json', ['token', 'decode', '-f', 'json', token]),
    await run('token verify', ['token', 'verify', '--secret-file', secretFile, token]),
    await run('token verify, tampered', ['token', 'verify', `${token.slice(0, -2)}AA`]),
    await run('token verify, expired', ['token', 'verify', signToken({ sub: 'marco', exp: 1 })]),
    await run('token verify, check revoked', ['token', 'verify', '--check-revoked', token]),
    await run('token revoke', ['token', 'revoke', token]),
    await run('token revoke, malformed', ['token', 'revoke', `${token}x.y`]),
    await run('token revoke-all, forbidden', ['token', 'revoke-all', '--as-user', 'root', '--token', token]),
    await run('token revoke-all, admin password', ['token', 'revoke-all', '--as-user', 'marco', '--username', 'root', '--password-stdin'], `${ADMIN_PASSWORD}\n`),
    await run('token revoke-all, wrong password', ['token', 'revoke-all', '--as-user', 'marco', '--password-stdin'], `${WRONG_PASSWORD}\n`),
    await run('user add', ['user', 'add', 'anna', '--password-stdin'], `${NEW_PASSWORD}\n`),
    await run('user passwd', ['user', 'passwd', 'anna', '--password-stdin'], `${NEW_PASSWORD}x\n`),
    await run('user list', ['user', 'list']),
    await run('user remove', ['user', 'remove', 'anna']),
    await run('user remove, unknown', ['user', 'remove', 'nobody']),
  ];
  assert.ok(results.some((result) => result.status === 0));
  assert.ok(results.some((result) => result.status !== 0));

  await server.stop();
  const secrets = [PASSWORD, ADMIN_PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}x`, WRONG_PASSWORD, TEST_SECRET, signatureOf(token)];
  const basic = [`marco:${PASSWORD}`, `root:${ADMIN_PASSWORD}`].map((pair) => Buffer.from(pair).toString('base64'));
  const places = [
    ...outputs.flatMap(({ name, result, printsToken }) => [
      { where: `${name}: stderr`, text: result.stderr },
      { where: `${name}: stdout`, text: printsToken === true ? result.stdout.replace(token, '') : result.stdout },
    ]),
    { where: 'client log file', text: readFileSync(logFile, 'utf8') },
    { where: 'server log', text: server.logs() },
  ];

  for (const { where, text } of places) {
    for (const secret of [...secrets, ...basic]) {
      assert.equal(text.includes(secret), false, `${where} shows ${secret.slice(0, 6)}...`);
    }
  }
});
