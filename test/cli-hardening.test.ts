/**
 * The CLI against hostile or broken inputs: endless files, odd time limits, unwritable
 * outputs, control characters in tokens, and servers that return the wrong token.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { createHs256Key, signHs256 } from '../lib/jwt/jws.ts';
import { encodeBase64Url } from '../lib/jwt/base64url.ts';
import { cleanEnv, cliCommand, closedPort, makeTempDir, runCli } from './helpers/cli.ts';

const KEY = createHs256Key('hardening-test-secret-0123456789abcdef');
const ESC = '\u001b';

function futureClaims(sub: string) {
  const now = Date.now() / 1000;

  return { exp: now + 600, iat: now, iss: 'ats.auth', jti: 'j1', sub };
}

async function startStub(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });

  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** A login endpoint that returns `token` whatever the credentials. */
function loginReturning(token: string) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token }));
  };
}

async function createAgainst(url: string, username = 'marco') {
  const home = makeTempDir();

  return runCli(['token', 'create', '--username', username, '--password-stdin'], {
    env: cleanEnv(home, { ATS_AUTH_URL: url }),
    input: 'pw-123456\n',
  });
}

describe('configuration files that never end', () => {
  for (const path of ['/dev/zero', '/dev/urandom']) {
    test(`--config ${path} stops at the size limit`, async () => {
      const result = await runCli(['--config', path, 'token', 'decode', 'x.y.z']);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /larger than 1048576 bytes/);
    });
  }

  test('--config naming a directory says so', async () => {
    const dir = makeTempDir();
    const result = await runCli(['--config', dir, 'token', 'decode', 'x.y.z']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /is a directory/);
  });
});

describe('time limits', () => {
  for (const value of ['0', '-1', '1e-9', '0x10', ' 5 ', '3000000', 'NaN']) {
    test(`--timeout ${JSON.stringify(value)} is a usage error`, async () => {
      const result = await runCli(['token', 'create', '--username', 'm', '--password', 'p', '--timeout', value]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /Invalid --timeout/);
      assert.doesNotMatch(result.stderr, /RangeError/);
    });
  }

  test('a fractional --timeout is accepted', async (t) => {
    const url = await startStub(t, () => {});
    const home = makeTempDir();
    const result = await runCli(['token', 'create', '--username', 'm', '--password-stdin', '--timeout', '0.3001'], {
      env: cleanEnv(home, { ATS_AUTH_URL: url }),
      input: 'pw\n',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /within 0\.301 s/);
  });
});

describe('outputs that cannot be written', () => {
  test('--log-file naming a directory is a usage error', async () => {
    const dir = makeTempDir();
    const result = await runCli(['--log-file', dir, 'help']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Cannot open log file .*: is a directory/);
  });

  test('--log-file in a missing directory names the file', async () => {
    const dir = makeTempDir();
    const result = await runCli(['--log-file', join(dir, 'no', 'run.log'), 'help']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no such file or directory/);
  });

  test('a full stdout is one error line', () => {
    const [program, prefix] = cliCommand();
    const quoted = [program, ...prefix, '--version'].map((word) => `'${word}'`).join(' ');
    const result = spawnSync('bash', ['-c', `${quoted} >/dev/full`], { encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.equal(result.stderr, 'ats-auth: error: Cannot write to standard output: no space left on device\n');
  });
});

describe('untrusted text on the terminal', () => {
  test('token revoke escapes control characters of the subject', async () => {
    const port = await closedPort();
    const token = signHs256(futureClaims(`eve${ESC}[2J\nToken revoked.`), KEY);
    const result = await runCli(['token', 'revoke', token], {
      env: cleanEnv(makeTempDir(), { ATS_AUTH_URL: `http://127.0.0.1:${port}/` }),
    });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.includes(ESC), false);
    assert.match(result.stderr, /^Logging out user eve\\u001b\[2J\\nToken revoked\.$/m);
  });

  test('a server message cannot forge output lines', async (t) => {
    const url = await startStub(t, (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `oops\nToken revoked.${ESC}[31m` }));
    });
    const token = signHs256(futureClaims('marco'), KEY);
    const result = await runCli(['token', 'revoke', token], { env: cleanEnv(makeTempDir(), { ATS_AUTH_URL: url }) });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.includes(ESC), false);
    assert.doesNotMatch(result.stderr, /^Token revoked\./m);
  });

  test('-f value escapes control characters', async () => {
    const token = signHs256(futureClaims(`a${ESC}]0;title\u0007b`), KEY);
    const result = await runCli(['token', 'decode', '-f', 'value', '-c', 'sub', token]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'a\\u001b]0;title\\u0007b\n');
  });
});

describe('tokens on standard input', () => {
  test('a long token without a final newline is read whole', async () => {
    const token = signHs256({ ...futureClaims('marco'), pad: 'x'.repeat(5000) }, KEY);
    assert.ok(token.length > 4096);
    const result = await runCli(['token', 'decode', '-f', 'value', '-c', 'sub', '-'], { input: token });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'marco\n');
  });

  test('empty standard input says it is empty', async () => {
    const result = await runCli(['token', 'decode', '-'], { input: '' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /standard input is empty/);
  });
});

describe('token create checks what the server returns', () => {
  test('a token for another user is rejected', async (t) => {
    const url = await startStub(t, loginReturning(signHs256(futureClaims('bob'), KEY)));
    const result = await createAgainst(url);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /issued a token for "bob", not "marco"/);
  });

  test('an alg none token is rejected', async (t) => {
    const header = encodeBase64Url('{"alg":"none","typ":"JWT"}');
    const payload = encodeBase64Url(JSON.stringify(futureClaims('marco')));
    const url = await startStub(t, loginReturning(`${header}.${payload}.`));
    const result = await createAgainst(url);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /Algorithm not allowed/);
  });

  test('an expired token is rejected', async (t) => {
    const url = await startStub(t, loginReturning(signHs256({ ...futureClaims('marco'), exp: 1000 }, KEY)));
    const result = await createAgainst(url);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /expired/);
  });
});

describe('token revoke-all arguments', () => {
  test('--token with --password-stdin is a usage error', async () => {
    const token = signHs256(futureClaims('marco'), KEY);
    const result = await runCli(['token', 'revoke-all', '--as-user', 'marco', '--token', token, '--password-stdin'], {
      input: 'pw\n',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /exclude each other/);
  });

  test('--as-user is required even with OS_USERNAME set', async () => {
    const result = await runCli(['token', 'revoke-all', '--password-stdin'], {
      env: cleanEnv(makeTempDir(), { OS_USERNAME: 'admin' }),
      input: 'pw\n',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Missing --as-user USER/);
  });
});

describe('signals', () => {
  test('SIGTERM during a request exits 143', async (t) => {
    const url = await startStub(t, () => {});
    const [program, prefix] = cliCommand();
    const home = makeTempDir();
    mkdirSync(join(home, '.config'), { recursive: true });
    const child = spawn(program, [...prefix, '-v', 'token', 'create', '--username', 'm', '--password-stdin'], {
      env: cleanEnv(home, { ATS_AUTH_URL: url }) as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end('pw\n');
    let stderr = '';
    let signalled = false;
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (signalled || !stderr.includes('username: m')) return;

      signalled = true;
      child.kill('SIGTERM');
    });
    const [status] = (await once(child, 'close')) as [number | null];
    assert.equal(status, 143);
    assert.match(stderr, /Terminated/);
  });
});

describe('command lines that hold secrets', () => {
  const token = signHs256(futureClaims('marco'), KEY);
  const signature = token.slice(token.lastIndexOf('.') + 1);
  const mistakes = [
    ['token', 'verify', '--now', token],
    ['token', 'verify', '--leeway', token],
    ['token', 'decode', '-f', token],
    ['token', 'decode', '--prefix', token],
    [token],
    ['token', token],
    ['help', token],
  ];

  for (const args of mistakes) {
    const shown = args.map((arg) => (arg === token ? 'TOKEN' : arg)).join(' ');
    test(`${shown} does not echo the token`, async () => {
      const home = makeTempDir();
      const logFile = join(home, 'run.log');
      const result = await runCli(['--log-file', logFile, ...args], { env: cleanEnv(home) });
      assert.notEqual(result.status, 0);
      assert.equal(result.stderr.includes(signature), false);
    });
  }

  test('extra words after a password are not echoed', async () => {
    const result = await runCli(['token', 'create', '--username', 'm', '--password', 'my', 'secret-half']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Too many arguments for 'token create'/);
    assert.equal(result.stderr.includes('secret-half'), false);
  });

  test('an option given twice is a usage error', async () => {
    const result = await runCli(['token', 'verify', '--issuer', 'a', '--issuer', 'b', token]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--issuer is given twice/);
  });
});

describe('option values', () => {
  for (const value of ['2026-02-30T00:00:00Z', '2026-02-31', '1e3', '99999999999999999']) {
    test(`--now ${value} is rejected`, async () => {
      const result = await runCli(['token', 'decode', '--now', value, signHs256(futureClaims('m'), KEY)]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /Invalid --now/);
    });
  }

  for (const value of ['1e2', '0x10', ' 5']) {
    test(`--leeway ${JSON.stringify(value)} is rejected`, async () => {
      const result = await runCli(['token', 'verify', '--leeway', value, 'x.y.z']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /Invalid --leeway/);
    });
  }

  test('complete --name starting with - is rejected', async () => {
    const result = await runCli(['complete', '--name', '-x']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Invalid --name/);
  });

  test('-f value escapes line separators and zero-width spaces', async () => {
    const token = signHs256(futureClaims('a\u2028b\u200bc'), KEY);
    const result = await runCli(['token', 'decode', '-f', 'value', '-c', 'sub', token]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'a\\u2028b\\u200bc\n');
  });
});

describe('token times at the edges', () => {
  test('a far exp reads as more than 10000 years', async () => {
    const token = signHs256({ ...futureClaims('m'), exp: 1e300 }, KEY);
    const result = await runCli(['token', 'decode', '-f', 'value', '-c', 'time_left', token]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'more than 10000 years\n');
  });

  test('expires_in agrees with the expiry error', async () => {
    const token = signHs256({ ...futureClaims('m'), exp: 1000.32 }, KEY);
    const decoded = await runCli(['token', 'decode', '--now', '1005', '-f', 'value', '-c', 'expires_in', token]);
    assert.equal(decoded.stdout, '-4\n');
    const verified = await runCli(['token', 'verify', '--now', '1005', token], {
      env: cleanEnv(makeTempDir(), { ATS_AUTH_JWT_SECRET: 'hardening-test-secret-0123456789abcdef' }),
    });
    assert.equal(verified.status, 5);
    assert.match(verified.stderr, /passed 4 s ago/);
  });
});

describe('empty and context-dependent values', () => {
  for (const option of ['--issuer', '--subject']) {
    test(`${option} "" is a usage error`, async () => {
      const result = await runCli(['token', 'verify', option, '', 'x.y.z']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, new RegExp(`Invalid ${option} ""`));
    });
  }

  test('kubectl without a password points at the kubeconfig', async () => {
    const result = await runCli(['token', 'create', '--username', 'm', '-f', 'exec-credential'], {
      env: cleanEnv(makeTempDir(), { KUBERNETES_EXEC_INFO: '{"apiVersion":"client.authentication.k8s.io/v1"}' }),
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /set OS_PASSWORD under env: in the kubeconfig exec entry/);
  });
});
