import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { addUsers, makeTempDir, signToken, startTestServer } from './helpers/server.ts';

const USERS = [
  { name: 'marco', password: 'marco password' },
  { name: 'lucia', password: 'lucia password' },
  { name: 'root', password: 'root password', isAdmin: true },
];

async function startWithUsers(t: TestContext, env: Record<string, string> = {}) {
  const dbPath = join(makeTempDir(t), 'ats-auth.db');
  await addUsers(dbPath, USERS);

  return startTestServer(t, { dbPath, env });
}

async function login(url: string, username: string): Promise<string> {
  const password = USERS.find((user) => user.name === username)?.password ?? '';
  const response = await fetch(`${url}/user/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200);

  return ((await response.json()) as { token: string }).token;
}

async function verifyStatus(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/token/verify`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();

  return response.status;
}

function logoutAll(url: string, target: string, authorization?: string) {
  const headers: Record<string, string> = { 'x-auth-userid': target };
  if (authorization !== undefined) headers['authorization'] = authorization;

  return fetch(`${url}/user/logout_all`, { method: 'POST', headers });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('POST /user/logout_all', () => {
  test('revokes every earlier token of the user only', async (t) => {
    const server = await startWithUsers(t);
    const first = await login(server.url, 'marco');
    const second = await login(server.url, 'marco');
    const lucia = await login(server.url, 'lucia');

    const response = await logoutAll(server.url, 'marco', `Bearer ${first}`);

    assert.equal(response.status, 204);
    assert.equal(await verifyStatus(server.url, first), 401);
    assert.equal(await verifyStatus(server.url, second), 401);
    assert.equal(await verifyStatus(server.url, lucia), 204);
  });

  test('keeps a token issued right after valid', async (t) => {
    const server = await startWithUsers(t);
    for (let round = 0; round < 5; round++) {
      const before = await login(server.url, 'marco');
      const [revoked, after] = await Promise.all([
        logoutAll(server.url, 'marco', `Bearer ${before}`),
        // Sent at once, so the login usually lands within the same millisecond.
        login(server.url, 'marco'),
      ]);
      const next = await login(server.url, 'marco');

      assert.equal(revoked.status, 204);
      assert.equal(await verifyStatus(server.url, before), 401);
      assert.equal(await verifyStatus(server.url, next), 204, `round ${round}`);
      assert.ok([204, 401].includes(await verifyStatus(server.url, after)));
    }
  });

  test('revokes a token with an iat up to the microsecond', async (t) => {
    const server = await startWithUsers(t);
    const token = await login(server.url, 'marco');
    await logoutAll(server.url, 'marco', `Bearer ${token}`);
    const notBeforeUs = server.services.revocations.notBeforeOf('marco');
    const claims = (iatUs: number) => ({ exp: iatUs / 1e6 + 600, iat: iatUs / 1e6, iss: 'ats.auth', sub: 'marco' });

    assert.ok(notBeforeUs > 0);
    assert.equal(await verifyStatus(server.url, signToken(claims(notBeforeUs))), 401);
    assert.equal(await verifyStatus(server.url, signToken(claims(notBeforeUs + 1))), 204);
  });

  const refusals = [
    { name: 'no credentials', authorization: () => undefined, status: 401 },
    { name: "another user's token", authorization: (url: string) => login(url, 'lucia').then((token) => `Bearer ${token}`), status: 403 },
    { name: "another user's password", authorization: () => basic('lucia', 'lucia password'), status: 403 },
    { name: 'a wrong password', authorization: () => basic('marco', 'wrong'), status: 401 },
    { name: 'a forged token', authorization: () => `Bearer ${signToken({ exp: Date.now() / 1000 + 60, iat: Date.now() / 1000, iss: 'ats.auth', sub: 'marco' }, 'forged')}`, status: 401 },
    { name: 'an unknown scheme', authorization: () => 'Digest username="marco"', status: 401 },
  ];
  for (const { name, authorization, status } of refusals) {
    test(`rejects ${name} with ${status}`, async (t) => {
      const server = await startWithUsers(t);
      const token = await login(server.url, 'marco');
      const response = await logoutAll(server.url, 'marco', await authorization(server.url));

      assert.equal(response.status, status);
      assert.equal(await verifyStatus(server.url, token), 204);
    });
  }

  const grants = [
    { name: "the user's own token", authorization: (url: string) => login(url, 'marco').then((token) => `Bearer ${token}`) },
    { name: "the user's own password", authorization: () => basic('marco', 'marco password') },
    { name: "an admin's token", authorization: (url: string) => login(url, 'root').then((token) => `Bearer ${token}`) },
    { name: "an admin's password", authorization: () => basic('root', 'root password') },
  ];
  for (const { name, authorization } of grants) {
    test(`accepts ${name}`, async (t) => {
      const server = await startWithUsers(t);
      const token = await login(server.url, 'marco');
      const response = await logoutAll(server.url, 'marco', await authorization(server.url));

      assert.equal(response.status, 204);
      assert.equal(await verifyStatus(server.url, token), 401);
    });
  }

  test('accepts a trusted proxy without credentials', async (t) => {
    const server = await startWithUsers(t, { ATSAUTH_SERVER_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' });
    const token = await login(server.url, 'marco');
    const response = await logoutAll(server.url, 'marco');

    assert.equal(response.status, 204);
    assert.equal(await verifyStatus(server.url, token), 401);
  });

  test('ignores a proxy list without this address', async (t) => {
    const server = await startWithUsers(t, { ATSAUTH_SERVER_TRUSTED_PROXIES: '10.0.0.0/8' });
    const response = await logoutAll(server.url, 'marco');

    assert.equal(response.status, 401);
  });

  const unknownTargets = [
    { name: 'an administrator', env: {}, authorization: () => basic('root', 'root password') },
    { name: 'a trusted proxy', env: { ATSAUTH_SERVER_TRUSTED_PROXIES: '127.0.0.1' }, authorization: () => undefined },
  ];
  for (const { name, env, authorization } of unknownTargets) {
    test(`answers 404 to ${name} for an unknown user`, async (t) => {
      const server = await startWithUsers(t, env);
      const response = await logoutAll(server.url, 'marc', authorization());
      const body = (await response.json()) as { error: string; message: string };

      assert.equal(response.status, 404);
      assert.equal(body.error, 'ERR_NOT_FOUND');
      assert.match(body.message, /^No user marc: check the name in X-Auth-UserId/);
      assert.equal(server.services.revocations.notBeforeOf('marc'), 0);
    });
  }

  test('answers 403, not 404, to another user for an unknown user', async (t) => {
    const server = await startWithUsers(t);
    const response = await logoutAll(server.url, 'marc', basic('lucia', 'lucia password'));

    assert.equal(response.status, 403);
  });

  const proxyCredentials = [
    { name: 'a wrong password', authorization: () => basic('marco', 'wrong') },
    { name: 'a forged token', authorization: () => `Bearer ${signToken({ exp: Date.now() / 1000 + 60, iat: Date.now() / 1000, iss: 'ats.auth', sub: 'marco' }, 'forged')}` },
  ];
  for (const { name, authorization } of proxyCredentials) {
    test(`rejects ${name} from a trusted proxy with 401`, async (t) => {
      const server = await startWithUsers(t, { ATSAUTH_SERVER_TRUSTED_PROXIES: '127.0.0.1' });
      const token = await login(server.url, 'marco');
      const response = await logoutAll(server.url, 'marco', authorization());

      assert.equal(response.status, 401);
      assert.equal(await verifyStatus(server.url, token), 204);
    });
  }

  test('logs the caller as user and the target apart', async (t) => {
    const server = await startWithUsers(t);
    const admin = await logoutAll(server.url, 'lucia', basic('root', 'root password'));
    const anonymous = await logoutAll(server.url, 'marco');
    await Promise.all([admin.arrayBuffer(), anonymous.arrayBuffer()]);

    const lines = server.logs().split('\n').filter((line) => line.startsWith('POST /user/logout_all'));
    assert.equal(lines.length, 2, server.logs());
    assert.match(lines[0] ?? '', /^POST \/user\/logout_all 204 .* user=root target=lucia from=/);
    assert.match(lines[1] ?? '', /^POST \/user\/logout_all 401 .* ms target=marco from=/);
  });

  test('rejects a missing X-Auth-UserId with 400', async (t) => {
    const server = await startWithUsers(t);
    const token = await login(server.url, 'marco');
    const response = await fetch(`${server.url}/user/logout_all`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });

    assert.equal(response.status, 400);
  });
});

describe('revocations on disk', () => {
  test('survive a restart', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    await addUsers(dbPath, USERS);
    const first = await startTestServer(t, { dbPath });
    const loggedOut = await login(first.url, 'marco');
    const revokedAll = await login(first.url, 'lucia');
    const kept = await login(first.url, 'root');
    await fetch(`${first.url}/user/logout`, { method: 'POST', headers: { authorization: `Bearer ${loggedOut}` } });
    await logoutAll(first.url, 'lucia', `Bearer ${revokedAll}`);
    await first.close();

    const second = await startTestServer(t, { dbPath });

    assert.equal(await verifyStatus(second.url, loggedOut), 401);
    assert.equal(await verifyStatus(second.url, revokedAll), 401);
    assert.equal(await verifyStatus(second.url, kept), 204);
    assert.equal(await verifyStatus(second.url, await login(second.url, 'lucia')), 204);
  });

  test('record 1,000 concurrent logouts', async (t) => {
    const server = await startWithUsers(t);
    const now = Date.now() / 1000;
    const tokens = Array.from({ length: 1000 }, (_, index) =>
      signToken({ exp: now + 600, iat: now, iss: 'ats.auth', jti: `storm-${index}`, sub: 'marco' }),
    );

    const statuses = await Promise.all(
      tokens.map(async (token) => {
        const response = await fetch(`${server.url}/user/logout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );

    assert.deepEqual(new Set(statuses), new Set([204]));
    const db = new DatabaseSync(server.dbPath, { readOnly: true });
    t.after(() => db.close());
    const row = db.prepare("SELECT count(*) AS n FROM revoked_tokens WHERE token_key LIKE 'storm-%'").get();
    assert.equal(row?.['n'], 1000);
    assert.equal(await verifyStatus(server.url, tokens[0] ?? ''), 401);
    assert.equal(await verifyStatus(server.url, tokens[999] ?? ''), 401);
  });

  test('keep later logins valid when the clock went back', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    await addUsers(dbPath, USERS);
    // A revoke-all stored by a run whose clock was an hour ahead of this one.
    const aheadUs = (Date.now() + 3_600_000) * 1000;
    const db = new DatabaseSync(dbPath);
    db.prepare('INSERT INTO user_not_before VALUES (?, ?, ?)').run('marco', aheadUs, aheadUs + 3600e6);
    db.close();
    const server = await startTestServer(t, { dbPath });

    const token = await login(server.url, 'marco');
    const iat = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { iat: number }).iat;

    assert.ok(Math.round(iat * 1e6) > aheadUs);
    assert.equal(await verifyStatus(server.url, token), 204);
  });

  test('answer 503 while the database is locked', async (t) => {
    const server = await startWithUsers(t, { ATSAUTH_DB_BUSY_TIMEOUT_MS: '100' });
    const token = await login(server.url, 'marco');
    const holder = new DatabaseSync(server.dbPath);
    t.after(() => holder.close());
    holder.exec("BEGIN EXCLUSIVE; INSERT INTO settings VALUES ('lock', 1)");
    const logout = () =>
      fetch(`${server.url}/user/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

    const locked = await logout();
    const body = (await locked.json()) as { error: string; message: string };
    holder.exec('ROLLBACK');
    const unlocked = await logout();

    assert.equal(locked.status, 503);
    assert.equal(body.error, 'ERR_STORE');
    assert.ok(!body.message.includes(server.dbPath), 'database path sent to the client');
    assert.equal(await verifyStatus(server.url, token), 401, 'revoked after the lock is gone');
    assert.equal(unlocked.status, 204);
    assert.match(server.logs(), /error: Request POST \/user\/logout failed: .*Database is locked/);
  });

  test('answer 503 for a page damaged later', async (t) => {
    const server = await startWithUsers(t);
    const fd = openSync(server.dbPath, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 4104);
    closeSync(fd);
    // A commit by another connection makes the server drop the pages it has cached.
    const writer = new DatabaseSync(server.dbPath);
    writer.exec("INSERT INTO settings VALUES ('touched', 1)");
    writer.close();

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(`${server.url}/user/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'marco', password: 'marco password' }),
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }

    const logs = server.logs();
    assert.deepEqual(statuses, [503, 503, 503]);
    assert.equal(logs.match(/^error: Request POST \/user\/login failed: Database file is corrupt: /gm)?.length, 3, logs);
    assert.ok(logs.includes(`sqlite3 ${server.dbPath} .recover`), logs);
    assert.doesNotMatch(logs, /^\s+at /m);
  });

  test('expired revocations are purged on start', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const first = await startTestServer(t, { dbPath });
    const now = Date.now() / 1000;
    const shortLived = signToken({ exp: now + 1, iat: now, iss: 'ats.auth', jti: 'short', sub: 'marco' });
    const longLived = signToken({ exp: now + 600, iat: now, iss: 'ats.auth', jti: 'long', sub: 'marco' });
    for (const token of [shortLived, longLived]) {
      await fetch(`${first.url}/user/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    }
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const second = await startTestServer(t, { dbPath });
    await new Promise((resolve) => setTimeout(resolve, 100));

    assert.equal(second.services.revocations.hasToken('short'), false);
    assert.equal(second.services.revocations.hasToken('long'), true);
    assert.equal(await verifyStatus(second.url, shortLived), 401);
  });
});
