import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { addUsers, makeTempDir, signToken, startTestServer } from './helpers/server.ts';
import { join } from 'node:path';

const MARCO = { name: 'marco', password: 'correct horse battery' };

async function startWithMarco(t: TestContext, env: Record<string, string> = {}) {
  const dbPath = join(makeTempDir(t), 'ats-auth.db');
  await addUsers(dbPath, [MARCO]);

  return startTestServer(t, { dbPath, env });
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function login(url: string, username: string, password: string): Promise<string> {
  const response = await postJson(`${url}/user/login`, { username, password });
  assert.equal(response.status, 200, await response.clone().text());
  const body = (await response.json()) as { token: string };

  return body.token;
}

function verify(url: string, token: string | undefined) {
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };

  return fetch(`${url}/token/verify`, { headers });
}

function payloadText(token: string): string {
  return Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8');
}

describe('POST /user/login', () => {
  test('returns a token with the ats.auth claims in order', async (t) => {
    const server = await startWithMarco(t, { ATSAUTH_TOKEN_TTL: '600' });
    const token = await login(server.url, 'marco', MARCO.password);

    const text = payloadText(token);
    assert.match(text, /^\{"exp":\d+(\.\d{1,6})?,"iat":\d+(\.\d{1,6})?,"iss":"ats\.auth","jti":"[A-Za-z0-9_-]{22}","sub":"marco"\}$/);
    const claims = JSON.parse(text) as { exp: number; iat: number };
    assert.equal(Math.round((claims.exp - claims.iat) * 1e6), 600 * 1e6);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 60);
    assert.equal(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).alg, 'HS256');
  });

  test('sends no-store and JSON content type', async (t) => {
    const server = await startWithMarco(t);
    const response = await postJson(`${server.url}/user/login`, { username: 'marco', password: MARCO.password });

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('content-type'), 'application/json');
  });

  test('gives each token its own jti and a later iat', async (t) => {
    const server = await startWithMarco(t);
    const tokens = await Promise.all([1, 2, 3].map(() => login(server.url, 'marco', MARCO.password)));

    const claims = tokens.map((token) => JSON.parse(payloadText(token)) as { jti: string; iat: number });
    assert.equal(new Set(claims.map((claim) => claim.jti)).size, 3);
    assert.equal(new Set(claims.map((claim) => claim.iat)).size, 3);
  });

  test('answers a wrong password and an unknown user alike', async (t) => {
    const server = await startWithMarco(t);
    const wrong = await postJson(`${server.url}/user/login`, { username: 'marco', password: 'nope' });
    const unknown = await postJson(`${server.url}/user/login`, { username: 'nobody', password: 'nope' });

    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(await wrong.json(), await unknown.json());
    assert.equal(wrong.headers.get('www-authenticate'), unknown.headers.get('www-authenticate'));
  });

  const badBodies = [
    { name: 'invalid JSON', body: '{"username": "marco",', type: 'application/json' },
    { name: 'a JSON array', body: '["marco", "x"]', type: 'application/json' },
    { name: 'a missing password', body: '{"username": "marco"}', type: 'application/json' },
    { name: 'a numeric password', body: '{"username": "marco", "password": 1}', type: 'application/json' },
    { name: 'a form body', body: 'username=marco&password=x', type: 'application/x-www-form-urlencoded' },
    { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0xff, 0x7d]), type: 'application/json' },
    { name: 'a repeated username', body: '{"username": "x", "username": "marco", "password": "correct horse battery"}', type: 'application/json' },
    { name: 'a repeated password', body: '{"username": "marco", "password": "correct horse battery", "password": "y"}', type: 'application/json' },
  ];
  for (const { name, body, type } of badBodies) {
    test(`rejects ${name} with 400`, async (t) => {
      const server = await startWithMarco(t);
      const response = await fetch(`${server.url}/user/login`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });

      assert.equal(response.status, 400);
      const error = (await response.json()) as { error: string; message: string };
      assert.equal(error.error, 'ERR_USAGE');
      assert.equal(typeof error.message, 'string');
    });
  }

  test('rejects a body over the limit with 413', async (t) => {
    const server = await startWithMarco(t, { ATSAUTH_SERVER_MAX_BODY_BYTES: '1024' });
    const body = JSON.stringify({ username: 'marco', password: 'x'.repeat(2000) });
    const response = await postJson(`${server.url}/user/login`, body);

    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: string }).error, 'ERR_TOO_LARGE');
  });

  test('accepts JSON with a charset parameter', async (t) => {
    const server = await startWithMarco(t);
    const response = await postJson(`${server.url}/user/login`, { username: 'marco', password: MARCO.password }, {
      'content-type': 'application/json; charset=utf-8',
    });

    assert.equal(response.status, 200);
  });
});

describe('GET /token/verify', () => {
  test('returns 204 with X-Auth-UserId for a valid token', async (t) => {
    const server = await startWithMarco(t);
    const response = await verify(server.url, await login(server.url, 'marco', MARCO.password));

    assert.equal(response.status, 204);
    assert.equal(response.headers.get('x-auth-userid'), 'marco');
  });

  test('answers HEAD like GET', async (t) => {
    const server = await startWithMarco(t);
    const token = await login(server.url, 'marco', MARCO.password);
    const response = await fetch(`${server.url}/token/verify`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
    });

    assert.equal(response.status, 204);
    assert.equal(response.headers.get('x-auth-userid'), 'marco');
  });

  test('asks for a token when none is sent', async (t) => {
    const server = await startWithMarco(t);
    const response = await verify(server.url, undefined);

    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  });

  const nowSeconds = Date.now() / 1000;
  const badTokens = [
    { name: 'garbage', token: () => 'not.a.token' },
    { name: 'a token of another secret', token: () => signToken({ exp: nowSeconds + 600, iat: nowSeconds, iss: 'ats.auth', sub: 'marco' }, 'another secret') },
    { name: 'an expired token', token: () => signToken({ exp: nowSeconds - 1, iat: nowSeconds - 600, iss: 'ats.auth', jti: 'a', sub: 'marco' }) },
    { name: 'a token of another issuer', token: () => signToken({ exp: nowSeconds + 600, iat: nowSeconds, iss: 'other', jti: 'b', sub: 'marco' }) },
    { name: 'a token without exp', token: () => signToken({ iat: nowSeconds, iss: 'ats.auth', jti: 'c', sub: 'marco' }) },
    { name: 'a token with a tampered payload', token: () => {
      const [header, , signature] = signToken({ exp: nowSeconds + 600, iat: nowSeconds, iss: 'ats.auth', sub: 'marco' }).split('.');
      const payload = Buffer.from(JSON.stringify({ exp: nowSeconds + 600, iat: nowSeconds, iss: 'ats.auth', sub: 'root' })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    } },
  ];
  for (const { name, token } of badTokens) {
    test(`rejects ${name} with 401 invalid_token`, async (t) => {
      const server = await startWithMarco(t);
      const response = await verify(server.url, token());

      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      assert.match(((await response.json()) as { error: string }).error, /^ERR_TOKEN_/);
    });
  }

  test('returns a subject with spaces unchanged', async (t) => {
    const server = await startWithMarco(t);
    const now = Date.now() / 1000;
    const token = signToken({ exp: now + 600, iat: now, iss: 'ats.auth', sub: 'Marco Rossi' });
    const response = await verify(server.url, token);

    assert.equal(response.status, 204);
    assert.equal(response.headers.get('x-auth-userid'), 'Marco Rossi');
  });

  const badSubjects = ['', ' marco', 'märco', 'marco\nX-Evil: 1', 42];
  for (const sub of badSubjects) {
    test(`rejects the subject ${JSON.stringify(sub)}`, async (t) => {
      const server = await startWithMarco(t);
      const now = Date.now() / 1000;
      const response = await verify(server.url, signToken({ exp: now + 600, iat: now, iss: 'ats.auth', sub }));

      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'ERR_TOKEN_CLAIM');
    });
  }

  test('accepts a token signed with the same secret elsewhere', async (t) => {
    const server = await startWithMarco(t);
    const now = Date.now() / 1000;
    const token = signToken({ exp: now + 600, iat: now, iss: 'ats.auth', sub: 'marco' });

    assert.equal((await verify(server.url, token)).status, 204);
  });
});

describe('POST /user/logout', () => {
  test('revokes the token', async (t) => {
    const server = await startWithMarco(t);
    const token = await login(server.url, 'marco', MARCO.password);
    const other = await login(server.url, 'marco', MARCO.password);

    const response = await fetch(`${server.url}/user/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });

    assert.equal(response.status, 204);
    const after = await verify(server.url, token);
    assert.equal(after.status, 401);
    assert.equal(((await after.json()) as { error: string }).error, 'ERR_TOKEN_REVOKED');
    assert.equal((await verify(server.url, other)).status, 204);
  });

  test('revokes a token without jti by its hash', async (t) => {
    const server = await startWithMarco(t);
    const now = Date.now() / 1000;
    const token = signToken({ exp: now + 600, iat: now, iss: 'ats.auth', sub: 'marco' });
    const twin = signToken({ exp: now + 601, iat: now, iss: 'ats.auth', sub: 'marco' });

    const response = await fetch(`${server.url}/user/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });

    assert.equal(response.status, 204);
    assert.equal((await verify(server.url, token)).status, 401);
    assert.equal((await verify(server.url, twin)).status, 204);
  });

  test('answers 204 again for a revoked token', async (t) => {
    const server = await startWithMarco(t);
    const token = await login(server.url, 'marco', MARCO.password);
    const logout = () =>
      fetch(`${server.url}/user/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

    assert.equal((await logout()).status, 204);
    assert.equal((await logout()).status, 204);
  });

  test('rejects a token that is not ours with 401', async (t) => {
    const server = await startWithMarco(t);
    const now = Date.now() / 1000;
    const token = signToken({ exp: now + 600, iat: now, iss: 'ats.auth', sub: 'marco' }, 'another secret');
    const response = await fetch(`${server.url}/user/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });

    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'ERR_TOKEN_SIGNATURE');
  });

  test('rejects a request without a token with 401', async (t) => {
    const server = await startWithMarco(t);
    const response = await fetch(`${server.url}/user/logout`, { method: 'POST' });

    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  });
});

describe('NumericDate range', () => {
  const now = Date.now() / 1000;
  const outOfRange = [
    { name: 'an exp of 1e13', claims: { exp: 1e13, iat: now } },
    { name: 'an exp after 2255', claims: { exp: 9_007_199_255, iat: now } },
    { name: 'an iat of 1e13', claims: { exp: now + 600, iat: 1e13 } },
    { name: 'a negative iat', claims: { exp: now + 600, iat: -1 } },
  ];
  for (const { name, claims } of outOfRange) {
    test(`rejects ${name} with 401 on every route`, async (t) => {
      const server = await startWithMarco(t);
      const token = signToken({ ...claims, iss: 'ats.auth', jti: 'far', sub: 'marco' });
      const bearer = { authorization: `Bearer ${token}` };

      const verified = await verify(server.url, token);
      const loggedOut = await fetch(`${server.url}/user/logout`, { method: 'POST', headers: bearer });
      const loggedOutAll = await fetch(`${server.url}/user/logout_all`, {
        method: 'POST',
        headers: { ...bearer, 'x-auth-userid': 'marco' },
      });

      for (const response of [verified, loggedOut, loggedOutAll]) {
        assert.equal(response.status, 401, response.url);
        assert.equal(((await response.json()) as { error: string }).error, 'ERR_TOKEN_CLAIM');
      }
    });
  }

  test('keeps a revocation expiring in 2255', async (t) => {
    const server = await startWithMarco(t);
    const token = signToken({ exp: 9_007_199_254, iat: now, iss: 'ats.auth', jti: 'late', sub: 'marco' });
    const response = await fetch(`${server.url}/user/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await server.close();

    const restarted = await startTestServer(t, { dbPath: server.dbPath });

    assert.equal(response.status, 204);
    assert.equal((await verify(restarted.url, token)).status, 401);
  });

  test('answers each logout of a batch', async (t) => {
    const server = await startWithMarco(t);
    const tokens = Array.from({ length: 20 }, (_, index) =>
      signToken({ exp: index % 2 === 0 ? 1e13 : now + 600, iat: now, iss: 'ats.auth', jti: `batch-${index}`, sub: 'marco' }),
    );

    const statuses = await Promise.all(
      tokens.map(async (token) => {
        const response = await fetch(`${server.url}/user/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        return response.status;
      }),
    );

    assert.deepEqual(statuses, tokens.map((_, index) => (index % 2 === 0 ? 401 : 204)));
    assert.equal(server.services.revocations.hasToken('batch-1'), true);
    assert.equal(server.services.revocations.hasToken('batch-0'), false);
  });
});

describe('routing', () => {
  test('answers an unknown path with 404', async (t) => {
    const server = await startWithMarco(t);
    const response = await fetch(`${server.url}/user/unknown`);

    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: string }).error, 'ERR_NOT_FOUND');
  });

  const wrongMethods = [
    { method: 'GET', path: '/user/login', allow: 'POST' },
    { method: 'DELETE', path: '/user/logout', allow: 'POST' },
    { method: 'GET', path: '/user/logout_all', allow: 'POST' },
    { method: 'POST', path: '/token/verify', allow: 'GET, HEAD' },
  ];
  for (const { method, path, allow } of wrongMethods) {
    test(`answers ${method} ${path} with 405`, async (t) => {
      const server = await startWithMarco(t);
      const response = await fetch(`${server.url}${path}`, { method });

      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), allow);
    });
  }

  test('ignores the query string when routing', async (t) => {
    const server = await startWithMarco(t);
    const token = await login(server.url, 'marco', MARCO.password);
    const response = await fetch(`${server.url}/token/verify?x=1`, {
      headers: { authorization: `Bearer ${token}` },
    });

    assert.equal(response.status, 204);
  });
});
