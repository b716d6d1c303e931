/**
 * The client against servers that misbehave, HTTPS servers with a private CA, and a
 * forward proxy. Every server here is started by the test on 127.0.0.1.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { cleanEnv, makeTempDir, runCli } from './helpers/cli.ts';
import { addUsers, serverEnv, startServerProcess } from './helpers/server.ts';
import { makeTestPki } from './helpers/tls.ts';

const PASSWORD = 'network-test-password';

async function listen(t: TestContext, server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.close();
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });

  return (server.address() as AddressInfo).port;
}

/** Starts an HTTP server on 127.0.0.1 that responds to every request with `handler`. */
async function startStub(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const port = await listen(t, createServer(handler));

  return `http://127.0.0.1:${port}/`;
}

async function login(url: string, extraArgs: readonly string[] = [], env: Record<string, string> = {}) {
  const home = makeTempDir();

  return runCli(['token', 'create', '--username', 'marco', '--password-stdin', ...extraArgs], {
    env: cleanEnv(home, { ATS_AUTH_URL: url, ...env }),
    input: `${PASSWORD}\n`,
  });
}

describe('token create against misbehaving servers', () => {
  test('an HTML page is reported, not parsed', async (t) => {
    const url = await startStub(t, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Welcome</body></html>');
    });
    const result = await login(url);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /holds no token/);
    assert.equal(result.stdout, '');
  });

  test('garbage bytes are reported', async (t) => {
    const url = await startStub(t, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(Buffer.from([0xff, 0x00, 0x7b, 0xfe]));
    });
    const result = await login(url);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /holds no token/);
  });

  test('a huge body is cut off with an error', async (t) => {
    const url = await startStub(t, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const result = await login(url);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /larger than 1048576 bytes/);
  });

  test('a server that never answers times out', async (t) => {
    const url = await startStub(t, () => {});
    const result = await login(url, ['--timeout', '1']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /No response from http:\/\/127\.0\.0\.1:\d+ within 1 s/);
  });

  test('ATS_AUTH_TIMEOUT sets the time limit', async (t) => {
    const url = await startStub(t, () => {});
    const result = await login(url, [], { ATS_AUTH_TIMEOUT: '0.5' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /within 0\.5 s/);
  });

  test('an invalid --timeout is a usage error', async () => {
    const result = await login('http://127.0.0.1:1/', ['--timeout', 'soon']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Invalid --timeout "soon"/);
  });

  test('a 500 answer names the status', async (t) => {
    const url = await startStub(t, (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('boom');
    });
    const result = await login(url);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /answered 500/);
  });

  test('a redirect is not followed', async (t) => {
    let followed = false;
    const target = await startStub(t, (_req, res) => {
      followed = true;
      res.writeHead(200).end('{}');
    });
    const url = await startStub(t, (_req, res) => {
      res.writeHead(307, { Location: `${target}user/login` }).end();
    });
    const result = await login(url);
    assert.equal(result.status, 1);
    assert.equal(followed, false);
  });
});

describe('token create over HTTPS with a private CA', () => {
  async function startTlsFront(t: TestContext) {
    const dir = makeTempDir();
    const pki = makeTestPki(dir);
    const dbPath = join(dir, 'ats-auth.db');
    await addUsers(dbPath, [{ name: 'marco', password: PASSWORD }]);
    const backend = await startServerProcess({ t, env: serverEnv(dbPath) });

    // TLS terminator in front of the real server, as a reverse proxy would be.
    const front = createHttpsServer({ key: pki.key, cert: pki.cert }, async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const answer = await fetch(new URL(req.url ?? '/', backend.url), {
        method: req.method ?? 'GET',
        headers: req.headers as Record<string, string>,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
    });
    const port = await listen(t, front);

    return { url: `https://127.0.0.1:${port}/`, caFile: pki.caFile, dir };
  }

  test('an untrusted certificate is a clear error', async (t) => {
    const front = await startTlsFront(t);
    const result = await login(front.url);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /not trusted/);
    assert.match(result.stderr, /--ca-file/);
    assert.equal(result.stdout, '');
  });

  test('--ca-file trusts the private CA', async (t) => {
    const front = await startTlsFront(t);
    const result = await login(front.url, ['--ca-file', front.caFile]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^eyJ/);
  });

  test('NODE_EXTRA_CA_CERTS trusts the private CA', async (t) => {
    const front = await startTlsFront(t);
    const result = await login(front.url, [], { NODE_EXTRA_CA_CERTS: front.caFile });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^eyJ/);
  });

  test('ca_file in the ini file is relative to it', async (t) => {
    const front = await startTlsFront(t);
    const config = join(front.dir, 'auth-client.ini');
    writeFileSync(config, '[session]\nca_file = ca.pem\n');
    const result = await login(front.url, ['--config', config]);
    assert.equal(result.status, 0, result.stderr);
  });

  test('a CA file without certificates names the file', async (t) => {
    const front = await startTlsFront(t);
    const bogus = join(front.dir, 'bogus.pem');
    writeFileSync(bogus, 'not a certificate\n');
    const result = await login(front.url, ['--ca-file', bogus]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /bogus\.pem/);
  });
});

describe('token create through a proxy', () => {
  /** Starts a forward proxy for plain HTTP that records the URLs it forwards. */
  async function startProxy(t: TestContext) {
    const seen: string[] = [];
    const proxy = createServer(async (req, res) => {
      seen.push(req.url ?? '');
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = { ...req.headers } as Record<string, string>;
      delete headers['proxy-connection'];
      delete headers['connection'];
      delete headers['keep-alive'];
      const answer = await fetch(req.url ?? '', {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
    });
    const port = await listen(t, proxy);

    return { url: `http://127.0.0.1:${port}`, seen };
  }

  async function startBackend(t: TestContext) {
    const dir = makeTempDir();
    const dbPath = join(dir, 'ats-auth.db');
    await addUsers(dbPath, [{ name: 'marco', password: PASSWORD }]);

    return startServerProcess({ t, env: serverEnv(dbPath) });
  }

  test('HTTP_PROXY carries the request', async (t) => {
    const backend = await startBackend(t);
    const proxy = await startProxy(t);
    const result = await login(backend.url, [], { HTTP_PROXY: proxy.url });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(proxy.seen, [new URL('user/login', backend.url).href]);
  });

  test('NO_PROXY bypasses the proxy', async (t) => {
    const backend = await startBackend(t);
    const proxy = await startProxy(t);
    const result = await login(backend.url, [], { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(proxy.seen, []);
  });
});
