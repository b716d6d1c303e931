import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { LoginThrottle } from '../lib/server/throttle.ts';
import { addUsers, makeTempDir, startTestServer } from './helpers/server.ts';

const OPTIONS = {
  freeAttemptsPerUser: 3,
  freeAttemptsPerAddress: 10,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  forgetAfterMs: 60_000,
  maxEntries: 100,
};

describe('LoginThrottle', () => {
  test('lets the free attempts through', () => {
    const throttle = new LoginThrottle(OPTIONS);

    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal(throttle.begin('marco', '10.0.0.1', 0), 0, `attempt ${attempt}`);
    }
    assert.equal(throttle.begin('marco', '10.0.0.1', 0), 1);
  });

  test('doubles the wait up to the maximum', () => {
    const throttle = new LoginThrottle(OPTIONS);
    let nowMs = 0;
    for (let attempt = 0; attempt < 3; attempt++) throttle.begin('marco', `10.0.0.${attempt}`, nowMs);

    const waits: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const waitSeconds = throttle.begin('marco', `10.0.1.${attempt}`, nowMs);
      waits.push(waitSeconds);
      nowMs += waitSeconds * 1000;
      assert.equal(throttle.begin('marco', `10.0.1.${attempt}`, nowMs), 0);
    }

    assert.deepEqual(waits, [1, 2, 4, 8, 8, 8]);
  });

  test('throttles one address across users', () => {
    const throttle = new LoginThrottle(OPTIONS);
    for (let attempt = 0; attempt < 10; attempt++) {
      assert.equal(throttle.begin(`user${attempt}`, '10.0.0.1', 0), 0);
    }

    assert.equal(throttle.begin('fresh-user', '10.0.0.1', 0), 1);
    assert.equal(throttle.begin('fresh-user', '10.0.0.2', 0), 0);
  });

  test('forgives the user after a success', () => {
    const throttle = new LoginThrottle(OPTIONS);
    for (let attempt = 0; attempt < 2; attempt++) throttle.begin('marco', '10.0.0.1', 0);
    throttle.begin('marco', '10.0.0.1', 0);
    throttle.succeed('marco', '10.0.0.1');

    assert.equal(throttle.begin('marco', '10.0.0.1', 0), 0);
    assert.equal(throttle.begin('marco', '10.0.0.1', 0), 0);
  });

  test('forgets attempts after a quiet period', () => {
    const throttle = new LoginThrottle(OPTIONS);
    for (let attempt = 0; attempt < 3; attempt++) throttle.begin('marco', '10.0.0.1', 0);

    assert.equal(throttle.begin('marco', '10.0.0.1', 500), 1);
    assert.equal(throttle.begin('marco', '10.0.0.1', 60_001), 0);
  });

  test('keeps at most maxEntries per table', () => {
    const throttle = new LoginThrottle(OPTIONS);
    for (let attempt = 0; attempt < 1000; attempt++) {
      throttle.begin(`user${attempt}`.repeat(100), `10.0.${attempt >> 8}.${attempt & 255}`, attempt);
    }

    assert.ok(throttle.size <= 200, `size ${throttle.size}`);
  });
});

describe('login throttling over HTTP', () => {
  async function startServer(t: Parameters<typeof makeTempDir>[0]) {
    const dbPath = join(makeTempDir(t), 'ats-auth.db');
    await addUsers(dbPath, [{ name: 'marco', password: 'right' }]);

    return startTestServer(t, { dbPath, start: { throttle: { freeAttemptsPerUser: 3, baseDelayMs: 30_000 } } });
  }

  function login(url: string, username: string, password: string) {
    return fetch(`${url}/user/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  }

  test('answers 429 with Retry-After', async (t) => {
    const server = await startServer(t);
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal((await login(server.url, 'marco', 'wrong')).status, 401);
    }

    const limited = await login(server.url, 'marco', 'right');

    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '30');
    assert.equal(((await limited.json()) as { error: string }).error, 'ERR_RATE_LIMITED');
  });

  test('throttles unknown and known users alike', async (t) => {
    const server = await startServer(t);
    const statuses = async (username: string) => {
      const seen: number[] = [];
      for (let attempt = 0; attempt < 4; attempt++) seen.push((await login(server.url, username, 'wrong')).status);
      return seen;
    };

    assert.deepEqual(await statuses('marco'), [401, 401, 401, 429]);
    assert.deepEqual(await statuses('ghost'), [401, 401, 401, 429]);
  });

  test('throttles parallel guesses', async (t) => {
    const server = await startServer(t);
    const responses = await Promise.all(Array.from({ length: 10 }, () => login(server.url, 'marco', 'wrong')));
    const statuses = responses.map((response) => response.status).sort();

    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  });

  test('throttles by X-Forwarded-For from a trusted proxy', async (t) => {
    const server = await startTestServer(t, {
      env: { ATSAUTH_SERVER_TRUSTED_PROXIES: '127.0.0.1' },
      start: { throttle: { freeAttemptsPerUser: 100, freeAttemptsPerAddress: 2, baseDelayMs: 30_000 } },
    });
    const from = (address: string, username: string) =>
      fetch(`${server.url}/user/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.9, ${address}` },
        body: JSON.stringify({ username, password: 'wrong' }),
      }).then((response) => response.status);

    assert.equal(await from('10.0.0.1', 'a'), 401);
    assert.equal(await from('10.0.0.1', 'b'), 401);
    assert.equal(await from('10.0.0.1', 'c'), 429);
    assert.equal(await from('10.0.0.2', 'd'), 401);
  });

  test('ignores X-Forwarded-For from other peers', async (t) => {
    const server = await startTestServer(t, {
      start: { throttle: { freeAttemptsPerUser: 100, freeAttemptsPerAddress: 2, baseDelayMs: 30_000 } },
    });
    const from = (address: string, username: string) =>
      fetch(`${server.url}/user/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
        body: JSON.stringify({ username, password: 'wrong' }),
      }).then((response) => response.status);

    assert.equal(await from('10.0.0.1', 'a'), 401);
    assert.equal(await from('10.0.0.2', 'b'), 401);
    assert.equal(await from('10.0.0.3', 'c'), 429);
  });

  test('throttles Basic credentials on logout_all', async (t) => {
    const server = await startServer(t);
    const logoutAll = () =>
      fetch(`${server.url}/user/logout_all`, {
        method: 'POST',
        headers: {
          'x-auth-userid': 'marco',
          authorization: `Basic ${Buffer.from('marco:wrong').toString('base64')}`,
        },
      });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) statuses.push((await logoutAll()).status);

    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });
});
