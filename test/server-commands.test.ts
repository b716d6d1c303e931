import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { makeTempDir, runCli, startTestServer } from './helpers/server.ts';

async function login(url: string, username: string, password: string): Promise<Response> {
  return fetch(`${url}/user/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

async function tokenFor(url: string, username: string, password: string): Promise<string> {
  const response = await login(url, username, password);
  assert.equal(response.status, 200);

  return ((await response.json()) as { token: string }).token;
}

/** Polls verify until it returns `status`; a running server loads outside changes within 1 s. */
async function waitForVerifyStatus(url: string, token: string, status: number): Promise<number> {
  let last = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await fetch(`${url}/token/verify`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    last = response.status;
    if (last === status) break;

    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return last;
}

describe('user commands', () => {
  test('user add and user list', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };

    const added = await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'pw-marco\n');
    const admin = await runCli(['user', 'add', 'root', '--admin', '--password-stdin'], env, 'pw-root\n');
    const listed = await runCli(['user', 'list'], env);

    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /User marco added/);
    assert.equal(admin.code, 0, admin.stderr);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(
      listed.stdout,
      [
        '+-------+-------+',
        '| name  | admin |',
        '+-------+-------+',
        '| marco | false |',
        '| root  | true  |',
        '+-------+-------+',
        '',
      ].join('\n'),
    );
    assert.equal(statSync(env.ATSAUTH_DB).mode & 0o777, 0o600);
  });

  test('user list -f json parses back', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'pw-marco\n');
    await runCli(['user', 'add', 'root', '--admin', '--password-stdin'], env, 'pw-root\n');

    const listed = await runCli(['user', 'list', '-f', 'json'], env);

    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), [
      { name: 'marco', admin: false },
      { name: 'root', admin: true },
    ]);
  });

  test('user list -f value -c name', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'pw-marco\n');
    await runCli(['user', 'add', 'root', '--admin', '--password-stdin'], env, 'pw-root\n');

    const listed = await runCli(['user', 'list', '-f', 'value', '-c', 'name'], env);

    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'marco\nroot\n');
  });

  test('user list -f csv has a header', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'root', '--admin', '--password-stdin'], env, 'pw-root\n');

    const listed = await runCli(['user', 'list', '-f', 'csv', '-c', 'admin', '-c', 'name'], env);

    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'admin,name\r\ntrue,root\r\n');
  });

  test('user list rejects an unknown column', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'missing.db') };
    const result = await runCli(['user', 'list', '-c', 'password'], env);

    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown column "password" for -c: choose from name, admin/);
    assert.equal(existsSync(env.ATSAUTH_DB), false);
  });

  test('user add rejects a taken name', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'first\n');

    const again = await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'second\n');

    assert.equal(again.code, 1);
    assert.match(again.stderr, /User marco already exists/);
  });

  test('user add rejects an invalid name', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    const result = await runCli(['user', 'add', 'bad name', '--password-stdin'], env, 'pw\n');

    assert.equal(result.code, 2);
    assert.match(result.stderr, /Invalid user name "bad name"/);
  });

  test('user passwd revokes the tokens', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'old password\n');
    const server = await startTestServer(t, { dbPath: env.ATSAUTH_DB });
    const token = await tokenFor(server.url, 'marco', 'old password');

    const changed = await runCli(['user', 'passwd', 'marco', '--password-stdin'], env, 'new password\n');

    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(await waitForVerifyStatus(server.url, token, 401), 401);
    assert.equal((await login(server.url, 'marco', 'old password')).status, 401);
    const fresh = await tokenFor(server.url, 'marco', 'new password');
    assert.equal(await waitForVerifyStatus(server.url, fresh, 204), 204);
  });

  test('user passwd of an unknown user fails', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'pw\n');
    const result = await runCli(['user', 'passwd', 'ghost', '--password-stdin'], env, 'pw\n');

    assert.equal(result.code, 1);
    assert.match(result.stderr, /No user ghost/);
  });

  test('user passwd names a case variant', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'Alice', '--password-stdin'], env, 'pw\n');
    const result = await runCli(['user', 'passwd', 'alice', '--password-stdin'], env, 'pw\n');

    assert.equal(result.code, 1);
    assert.match(result.stderr, /No user alice: did you mean Alice\? Names are case-sensitive/);
  });

  test('user remove revokes the tokens', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'password\n');
    const server = await startTestServer(t, { dbPath: env.ATSAUTH_DB });
    const token = await tokenFor(server.url, 'marco', 'password');

    const removed = await runCli(['user', 'remove', 'marco'], env);
    const listed = await runCli(['user', 'list'], env);

    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(listed.stdout, '');
    assert.equal(await waitForVerifyStatus(server.url, token, 401), 401);
    assert.equal((await login(server.url, 'marco', 'password')).status, 401);
  });

  test('user list needs an existing database', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'typo.db') };
    const result = await runCli(['user', 'list'], env);

    assert.equal(result.code, 1);
    assert.match(result.stderr, /Database not found: .*typo\.db: set ATSAUTH_DB/);
    assert.equal(existsSync(env.ATSAUTH_DB), false);
  });

  test('user remove of an unknown user fails', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'pw\n');
    const result = await runCli(['user', 'remove', 'ghost'], env);

    assert.equal(result.code, 1);
    assert.match(result.stderr, /No user ghost/);
  });

  test('user add again after remove gives valid tokens', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'password\n');
    await runCli(['user', 'remove', 'marco'], env);
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'password\n');
    const server = await startTestServer(t, { dbPath: env.ATSAUTH_DB });

    const token = await tokenFor(server.url, 'marco', 'password');

    assert.equal(await waitForVerifyStatus(server.url, token, 204), 204);
  });

  test('logout_all after user remove answers 404', async (t) => {
    const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'password\n');
    const server = await startTestServer(t, { dbPath: env.ATSAUTH_DB, env: { ATSAUTH_SERVER_TRUSTED_PROXIES: '127.0.0.1' } });
    const token = await tokenFor(server.url, 'marco', 'password');

    const removed = await runCli(['user', 'remove', 'marco'], env);
    const response = await fetch(`${server.url}/user/logout_all`, { method: 'POST', headers: { 'x-auth-userid': 'marco' } });

    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(response.status, 404);
    assert.equal(await waitForVerifyStatus(server.url, token, 401), 401);
  });

  const similarNames = [
    { existing: 'admin', added: 'Admin' },
    { existing: 'admin', added: 'ADMIN' },
    { existing: 'Marco.Rossi', added: 'marco.rossi' },
  ];
  for (const { existing, added } of similarNames) {
    test(`user add rejects ${added} next to ${existing}`, async (t) => {
      const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
      await runCli(['user', 'add', existing, '--password-stdin'], env, 'pw\n');

      const result = await runCli(['user', 'add', added, '--password-stdin'], env, 'pw\n');
      const listed = await runCli(['user', 'list', '-f', 'value', '-c', 'name'], env);

      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`User name ${added} clashes with the existing user ${existing}: `));
      assert.equal(listed.stdout, `${existing}\n`);
    });
  }

  const badNames = [
    { name: 'bad\u0007name', rule: 'it contains a control or formatting character' },
    { name: ' marco', rule: 'it starts or ends with white space' },
    { name: 'marco ', rule: 'it starts or ends with white space' },
    { name: 'm'.repeat(129), rule: 'it is longer than 128 characters' },
    { name: 'märco', rule: 'it contains a character other than ASCII letters, digits and . _ @ + -' },
  ];
  for (const { name, rule } of badNames) {
    test(`user add names the rule for ${JSON.stringify(name.slice(0, 12))}`, async (t) => {
      const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
      const result = await runCli(['user', 'add', name, '--password-stdin'], env, 'pw\n');

      assert.equal(result.code, 2);
      assert.ok(result.stderr.includes(`: ${rule}; use 1 to 128 ASCII letters, digits`), result.stderr);
      assert.doesNotMatch(result.stderr, /\u0007/);
    });
  }

  test('user list reads a read-only directory', async (t) => {
    const directory = makeTempDir(t);
    const env = { ATSAUTH_DB: join(directory, 'ats-auth.db') };
    await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'pw\n');
    const makeWritable = makeReadOnly(t, directory);
    if (makeWritable === undefined) return;

    let listed;
    let added;
    try {
      listed = await runCli(['user', 'list', '-f', 'value', '-c', 'name'], env);
      added = await runCli(['user', 'add', 'lucia', '--password-stdin'], env, 'pw\n');
    } finally {
      makeWritable();
    }

    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'marco\n');
    assert.equal(added.code, 1);
    assert.match(added.stderr, /ats-auth: error: (Database is read-only|Cannot open the database)/);
  });

  for (const args of [['user', 'list'], ['user', 'add', 'lucia', '--password-stdin'], ['user', 'remove', 'marco']]) {
    test(`${args.slice(0, 2).join(' ')} names a damaged database and the fix`, async (t) => {
      const env = { ATSAUTH_DB: join(makeTempDir(t), 'ats-auth.db') };
      await runCli(['user', 'add', 'marco', '--password-stdin'], env, 'pw\n');
      const fd = openSync(env.ATSAUTH_DB, 'r+');
      writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 4104);
      closeSync(fd);

      const result = await runCli(args, env, 'pw\n');

      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^ats-auth: error: Database file is corrupt.*: ${env.ATSAUTH_DB}: restore it from a backup`));
      assert.ok(result.stderr.includes(`sqlite3 ${env.ATSAUTH_DB} .recover`), result.stderr);
      assert.doesNotMatch(result.stderr, /unexpected failure/);
    });
  }
});

/**
 * Makes `directory` read-only: chmod, or chattr +i as root, whom file modes do not stop.
 * Returns the function that undoes it, or undefined, skipping the test, when neither works.
 */
function makeReadOnly(t: TestContext, directory: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    chmodSync(directory, 0o555);
    return () => chmodSync(directory, 0o755);
  }

  try {
    execFileSync('chattr', ['+i', directory], { stdio: 'ignore' });
  } catch {
    t.skip('running as root on a file system without chattr +i');
    return undefined;
  }

  return () => execFileSync('chattr', ['-i', directory]);
}
