import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';

import {
  TEST_SECRET,
  addUsers,
  makeTempDir,
  runCli,
  serverEnv,
  signToken,
  startServerProcess,
} from './helpers/server.ts';

const PASSWORD = 'pw-Kq7#unlikely-to-appear';

function postLogin(url: string, username: string, password: string) {
  return fetch(`${url}/user/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

/**
 * Sends raw bytes and resolves to everything the server sends back before closing. Gives
 * up after 15 s, so a server that never closes fails the test instead of hanging it.
 */
function rawExchange(url: string, chunks: readonly string[], gapMs = 0): Promise<string> {
  const { hostname, port } = new URL(url);

  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.setTimeout(15_000, () => socket.destroy(new Error('No response within 15 s')));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (received += text));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        if (gapMs > 0) await new Promise((done) => setTimeout(done, gapMs));
      }
    });
  });
}

describe('server process', () => {
  test('logs the URL and stops on SIGTERM', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath) });

    assert.match(server.logs(), /^Listening on http:\/\/127\.0\.0\.1:\d+$/m);
    assert.equal((await fetch(`${server.url}/token/verify`)).status, 401);
    assert.equal(await server.stop(), 0);
    assert.match(server.logs(), /^Stopped$/m);
  });

  test('writes JSON log lines when asked', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath, { ATSAUTH_LOG_JSONFORMAT: 'true' }) });
    await (await fetch(`${server.url}/token/verify`)).arrayBuffer();
    await server.stop();

    const records = server.logs().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record['url'] === server.url));
    const request = records.find((record) => record['msg'] === 'request');
    assert.equal(request?.['path'], '/token/verify');
    assert.equal(request?.['status'], 401);
    assert.equal(typeof request?.['durationMs'], 'number');
  });

  test('never logs passwords, tokens or the secret', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    await addUsers(dbPath, [{ name: 'marco', password: PASSWORD }]);
    const server = await startServerProcess({ t, env: serverEnv(dbPath) });

    const token = ((await (await postLogin(server.url, 'marco', PASSWORD)).json()) as { token: string }).token;
    await (await postLogin(server.url, 'marco', `${PASSWORD}-wrong`)).arrayBuffer();
    await (await fetch(`${server.url}/token/verify?token=${token}`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
    const basic = `Basic ${Buffer.from(`marco:${PASSWORD}`).toString('base64')}`;
    await (await fetch(`${server.url}/user/logout_all`, { method: 'POST', headers: { authorization: basic, 'x-auth-userid': 'marco' } })).arrayBuffer();
    await (await fetch(`${server.url}/user/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
    await server.stop();

    const logs = server.logs();
    assert.match(logs, /POST \/user\/login 200 .* user=marco/);
    assert.match(logs, /GET \/token\/verify 204 .* user=marco/);
    assert.ok(!logs.includes(PASSWORD), 'password in the log');
    assert.ok(!logs.includes(token.split('.')[2] ?? '-'), 'token signature in the log');
    assert.ok(!logs.includes(token.split('.')[1] ?? '-'), 'token payload in the log');
    assert.ok(!logs.includes(basic.slice(6)), 'Basic credentials in the log');
    assert.ok(!logs.includes(TEST_SECRET), 'secret in the log');
  });

  test('generates a secret once and keeps it private', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    await addUsers(dbPath, [{ name: 'marco', password: PASSWORD }]);
    const env = { ...serverEnv(dbPath), ATSAUTH_SERVER_JWT_SECRET: '' };
    const first = await startServerProcess({ t, env });
    const token = ((await (await postLogin(first.url, 'marco', PASSWORD)).json()) as { token: string }).token;
    await first.stop();

    const second = await startServerProcess({ t, env });
    const verified = await fetch(`${second.url}/token/verify`, { headers: { authorization: `Bearer ${token}` } });
    await second.stop();

    const secret = readFileSync(`${dbPath}.secret`, 'utf8').trim();
    assert.equal(statSync(`${dbPath}.secret`).mode & 0o777, 0o600);
    assert.ok(secret.length >= 43);
    assert.match(first.logs(), new RegExp(`Generated the JWT secret and stored it in ${dbPath}\\.secret`));
    assert.match(second.logs(), /Using the JWT secret in/);
    assert.ok(!first.logs().includes(secret));
    assert.equal(verified.status, 204);
  });

  test('finishes a request in flight on SIGTERM', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath) });
    const body = JSON.stringify({ username: 'ghost', password: 'x' });
    const head = `POST /user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;

    const exchange = rawExchange(server.url, [head, body.slice(0, 5), body.slice(5)], 300);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const exitCode = server.stop();

    assert.match(await exchange, /^HTTP\/1\.1 401 /);
    assert.equal(await exitCode, 0);
  });

  test('logs the requests it drops on a second SIGTERM', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath) });
    const head = 'POST /user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    // Two requests whose bodies never finish keep the shutdown waiting.
    const exchanges = [rawExchange(server.url, [head, '{']), rawExchange(server.url, [head, '{'])];
    // Gives the server time to receive both requests; it logs nothing until they end.
    await new Promise((resolve) => setTimeout(resolve, 200));

    server.process.kill('SIGTERM');
    await server.waitForLog(/^Stopping on SIGTERM$/m);
    const exitCode = await server.stop();
    await Promise.allSettled(exchanges);

    assert.equal(exitCode, 143);
    assert.match(server.logs(), /^warning: Received SIGTERM again: exiting now and dropping 2 requests in flight$/m);
  });

  test('keeps every acknowledged logout after kill -9', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath) });
    const now = Date.now() / 1000;
    const acknowledged: string[] = [];
    let next = 0;
    let killed = false;

    const worker = async () => {
      while (!killed) {
        const jti = `kill-${next++}`;
        const token = signToken({ exp: now + 600, iat: now, iss: 'ats.auth', jti, sub: 'marco' });
        try {
          const response = await fetch(`${server.url}/user/logout`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
          });
          await response.arrayBuffer();
          if (response.status === 204) acknowledged.push(jti);
        } catch {
          // The connection died with the server: this logout was never acknowledged.
        }
      }
    };
    const workers = Array.from({ length: 50 }, worker);
    const deadline = Date.now() + 30_000;
    while (acknowledged.length < 500 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    killed = true;
    await server.kill();
    await Promise.all(workers);

    const db = new DatabaseSync(dbPath);
    t.after(() => db.close());
    const stored = new Set(
      db.prepare("SELECT token_key FROM revoked_tokens WHERE token_key LIKE 'kill-%'").all().map((row) => row['token_key']),
    );
    const missing = acknowledged.filter((jti) => !stored.has(jti));
    assert.ok(acknowledged.length >= 500);
    assert.deepEqual(missing, []);
  });
});

describe('server process hostile input', () => {
  test('rejects oversized headers with 431', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath, { ATSAUTH_SERVER_MAX_HEADER_BYTES: '2048' }) });
    const response = await fetch(`${server.url}/token/verify`, { headers: { 'x-filler': 'a'.repeat(4096) } });

    assert.equal(response.status, 431);
    assert.equal((await fetch(`${server.url}/token/verify`)).status, 401);
  });

  test('times out a client that sends headers slowly', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const env = serverEnv(dbPath, { ATSAUTH_SERVER_HEADERS_TIMEOUT_SECONDS: '1' });
    const server = await startServerProcess({ t, env });

    const received = await rawExchange(server.url, ['GET /token/verify HTTP/1.1\r\n', 'Host: x\r\n'], 100);

    assert.match(received, /^HTTP\/1\.1 408 /);
    await server.waitForLog(/Rejected a request from 127\.0\.0\.1: 408 Request Timeout/);
  });

  test('rejects a malformed request line with 400', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath) });

    const received = await rawExchange(server.url, ['NOT HTTP AT ALL\r\n\r\n']);

    assert.match(received, /^HTTP\/1\.1 400 /);
    assert.equal((await fetch(`${server.url}/token/verify`)).status, 401);
  });

  test('logs a mid-body disconnect as 400', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const server = await startServerProcess({ t, env: serverEnv(dbPath) });
    const { hostname, port } = new URL(server.url);

    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write('POST /user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    const logs = await server.waitForLog(/^POST \/user\/login \d+ /m);

    assert.equal((await fetch(`${server.url}/token/verify`)).status, 401);
    assert.equal(server.process.exitCode, null);
    assert.match(logs, /^POST \/user\/login 400 /m);
    assert.match(logs, /^warning: Request POST \/user\/login: Incomplete request body: the client closed the connection$/m);
    assert.equal(logs.match(/^warning: /gm)?.length, 1, logs);
    assert.doesNotMatch(logs, /^error: |^\s+at /m);
  });

  test('answers a slow body with 408', async (t) => {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    const env = serverEnv(dbPath, { ATSAUTH_SERVER_HEADERS_TIMEOUT_SECONDS: '1', ATSAUTH_SERVER_REQUEST_TIMEOUT_SECONDS: '1' });
    const server = await startServerProcess({ t, env });
    const head = 'POST /user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';

    const received = await rawExchange(server.url, [head, '{"user'], 100);
    const logs = await server.waitForLog(/^POST \/user\/login \d+ /m);

    assert.match(received, /^HTTP\/1\.1 408 /);
    assert.match(logs, /^POST \/user\/login 408 /m);
    assert.match(logs, /^warning: Request POST \/user\/login: Request timed out/m);
    assert.equal(logs.match(/^warning: /gm)?.length, 1, logs);
    assert.doesNotMatch(logs, /^error: |^\s+at /m);
  });
});
