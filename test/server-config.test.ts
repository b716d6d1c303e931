import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import { loadServerConfig } from '../lib/server/config.ts';
import { SERVER_VARIABLES, formatConfigDefaults } from '../lib/server/variables.ts';
import {
  addUsers,
  makeTempDir,
  runCli,
  serverEnv,
  startServerProcess,
  startTestServer,
} from './helpers/server.ts';

describe('loadServerConfig()', () => {
  test('returns the defaults for an empty environment', () => {
    const config = loadServerConfig({});

    assert.equal(config.listenAddress, '127.0.0.1');
    assert.equal(config.listenPort, 8081);
    assert.equal(config.jwtSecret, undefined);
    assert.equal(config.dbPath, './ats-auth.db');
    assert.equal(config.tokenTtlSeconds, 3600);
    assert.equal(config.logJson, false);
    assert.deepEqual(config.trustedProxies, []);
    assert.equal(config.maxBodyBytes, 16384);
  });

  test('reads every variable', () => {
    const config = loadServerConfig({
      ATSAUTH_SERVER_LISTEN_ADDRESS: '::1',
      ATSAUTH_SERVER_LISTEN_PORT: '0',
      ATSAUTH_SERVER_JWT_SECRET: 's3cret',
      ATSAUTH_DB: '/var/lib/ats-auth/users.db',
      ATSAUTH_TOKEN_TTL: '60',
      ATSAUTH_LOG_JSONFORMAT: 'TRUE',
      ATSAUTH_SERVER_TRUSTED_PROXIES: '10.0.0.1, fd00::/8',
      ATSAUTH_SERVER_MAX_BODY_BYTES: '1024',
    });

    assert.equal(config.listenAddress, '::1');
    assert.equal(config.listenPort, 0);
    assert.equal(config.jwtSecret, 's3cret');
    assert.equal(config.dbPath, '/var/lib/ats-auth/users.db');
    assert.equal(config.tokenTtlSeconds, 60);
    assert.equal(config.logJson, true);
    assert.deepEqual(config.trustedProxies, ['10.0.0.1', 'fd00::/8']);
    assert.equal(config.maxBodyBytes, 1024);
  });

  const invalid = [
    { name: 'ATSAUTH_SERVER_LISTEN_PORT', value: '80a', expected: 'expected a whole number from 0 to 65535' },
    { name: 'ATSAUTH_SERVER_LISTEN_PORT', value: '70000', expected: 'expected a whole number from 0 to 65535' },
    { name: 'ATSAUTH_SERVER_LISTEN_ADDRESS', value: 'localhost', expected: 'expected an IP address' },
    { name: 'ATSAUTH_TOKEN_TTL', value: '0', expected: 'expected a whole number from 1' },
    { name: 'ATSAUTH_TOKEN_TTL', value: '1.5', expected: 'expected a whole number from 1' },
    { name: 'ATSAUTH_LOG_JSONFORMAT', value: 'maybe', expected: 'expected true or false' },
    { name: 'ATSAUTH_SERVER_TRUSTED_PROXIES', value: '10.0.0.0/33', expected: 'expected comma-separated IP addresses' },
    { name: 'ATSAUTH_SERVER_TRUSTED_PROXIES', value: 'gateway.local', expected: 'expected comma-separated IP addresses' },
    { name: 'ATSAUTH_SERVER_HEADERS_TIMEOUT_SECONDS', value: '60', expected: 'expected at most ATSAUTH_SERVER_REQUEST_TIMEOUT_SECONDS' },
  ];
  for (const { name, value, expected } of invalid) {
    test(`rejects ${name}=${value}`, () => {
      assert.throws(
        () => loadServerConfig({ [name]: value }),
        (error) =>
          isAtsAuthError(error, 'ERR_CONFIG') &&
          error.message.startsWith(`Invalid ${name} "`) &&
          error.message.includes(expected),
      );
    });
  }

  const controlSecrets = [
    { name: 'a line break', secret: 'first-half-of-the-secret\nsecond-half-of-it' },
    { name: 'a tab', secret: 'first-half-of-the-secret\tsecond-half-of-it' },
    { name: 'a trailing line break', secret: 'a-secret-long-enough-for-hs256-keys\n' },
    { name: 'a NUL byte', secret: 'first-half-of-the-secret\u0000second-half' },
  ];
  for (const { name, secret } of controlSecrets) {
    test(`rejects a secret with ${name}`, () => {
      assert.throws(
        () => loadServerConfig({ ATSAUTH_SERVER_JWT_SECRET: secret }),
        (error) =>
          isAtsAuthError(error, 'ERR_CONFIG') &&
          error.message.includes('control character') &&
          !error.message.includes('first-half') &&
          !error.message.includes('long-enough'),
      );
    });
  }

  const unknownVariables = [
    { name: 'ATSAUTH_SERVER_LISTEN_PROT', closest: 'did you mean ATSAUTH_SERVER_LISTEN_PORT?' },
    { name: 'ATSAUTH_DB_PATH', closest: 'did you mean ATSAUTH_DB?' },
    { name: 'ATSAUTH_TOKEN_TTL_SECONDS', closest: '' },
    { name: 'ATSAUTH_COLOUR', closest: '--write-config-defaults" lists the variables' },
  ];
  for (const { name, closest } of unknownVariables) {
    test(`warns about the unknown variable ${name}`, () => {
      const config = loadServerConfig({ [name]: '1' });

      assert.equal(config.warnings.length, 1);
      assert.ok(config.warnings[0]?.startsWith(`Unknown variable ${name} is ignored: `), config.warnings[0]);
      assert.ok(config.warnings[0]?.includes(closest), config.warnings[0]);
    });
  }

  test('gives no warning for known variables', () => {
    const env = Object.fromEntries(SERVER_VARIABLES.map((variable) => [variable.name, variable.default]));

    assert.deepEqual(loadServerConfig(env).warnings, []);
  });

  const openProxies = [
    { value: '0.0.0.0/0', families: ['IPv4'] },
    { value: '::/0', families: ['IPv4', 'IPv6'] },
    { value: '0.0.0.0/1, 128.0.0.0/1', families: ['IPv4'] },
    { value: '::ffff:0:0/96', families: ['IPv4'] },
    { value: '10.0.0.0/8, 127.0.0.1', families: [] },
    { value: '::/1', families: ['IPv4'] },
  ];
  for (const { value, families } of openProxies) {
    test(`warns about trusted proxies ${value} covering ${families.join(' and ') || 'nothing'}`, () => {
      const warnings = loadServerConfig({ ATSAUTH_SERVER_TRUSTED_PROXIES: value }).warnings;

      assert.equal(warnings.length, families.length);
      families.forEach((family, index) => {
        assert.match(warnings[index] ?? '', new RegExp(`covers every ${family} address, so any client may revoke any user's tokens`));
      });
    });
  }

  test('never shows the secret in an error', () => {
    assert.throws(
      () => loadServerConfig({ ATSAUTH_SERVER_JWT_SECRET: ' hunter2 ' }),
      (error) =>
        isAtsAuthError(error, 'ERR_CONFIG') &&
        error.message.includes('ATSAUTH_SERVER_JWT_SECRET') &&
        !error.message.includes('hunter2'),
    );
  });
});

describe('server --write-config-defaults', () => {
  test('prints one export line per variable', async () => {
    const result = await runCli(['server', '--write-config-defaults'], { ATSAUTH_SERVER_JWT_SECRET: 'not-printed' });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, formatConfigDefaults());
    const exports = result.stdout.split('\n').filter((line) => line.startsWith('export '));
    assert.deepEqual(exports.map((line) => line.split('=')[0]), SERVER_VARIABLES.map((variable) => `export ${variable.name}`));
    assert.ok(exports.includes('export ATSAUTH_SERVER_LISTEN_PORT=8081'));
    assert.ok(exports.includes('export ATSAUTH_SERVER_JWT_SECRET='));
    assert.ok(!result.stdout.includes('not-printed'));
  });

  test('prints lines a shell can source', async () => {
    const result = await runCli(['server', '--write-config-defaults'], {});
    const script = `${result.stdout}\necho "$ATSAUTH_DB|$ATSAUTH_TOKEN_TTL|$ATSAUTH_SERVER_LISTEN_ADDRESS"`;

    assert.equal(execFileSync('sh', ['-c', script], { encoding: 'utf8' }), './ats-auth.db|3600|127.0.0.1\n');
  });
});

/** Runs `ats-auth server` expecting it to fail at start, and returns its stderr. */
async function failedStart(env: Record<string, string>): Promise<string> {
  const result = await runCli(['server'], env);

  assert.equal(result.code, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'stack trace printed');
  assert.equal(result.stderr.trim().split('\n').at(-1)?.startsWith('ats-auth: error: '), true, result.stderr);

  return result.stderr;
}

function dbPathIn(t: TestContext): string {
  return join(makeTempDir(t), 'ats-auth.db');
}

describe('server start failures', () => {
  test('names a bad variable', async (t) => {
    const stderr = await failedStart(serverEnv(dbPathIn(t), { ATSAUTH_SERVER_LISTEN_PORT: 'http' }));

    assert.match(stderr, /Invalid ATSAUTH_SERVER_LISTEN_PORT "http": expected a whole number/);
  });

  test('names a corrupt database', async (t) => {
    const dbPath = dbPathIn(t);
    writeFileSync(dbPath, 'garbage, not SQLite\n'.repeat(300));
    const stderr = await failedStart(serverEnv(dbPath));

    assert.match(stderr, new RegExp(`Database file is corrupt or not an SQLite database: ${dbPath}: `));
  });

  test('names a locked database', async (t) => {
    const dbPath = dbPathIn(t);
    const created = await runCli(['user', 'add', 'marco', '--password-stdin'], { ATSAUTH_DB: dbPath }, 'pw\n');
    assert.equal(created.code, 0, created.stderr);
    const holder = new DatabaseSync(dbPath);
    t.after(() => holder.close());
    holder.exec("BEGIN EXCLUSIVE; INSERT INTO settings VALUES ('issued_until_us', 1)");
    const stderr = await failedStart(serverEnv(dbPath, { ATSAUTH_DB_BUSY_TIMEOUT_MS: '200' }));

    assert.match(stderr, new RegExp(`Database is locked: ${dbPath}: another process holds a lock`));
  });

  test('names a read-only database', async (t) => {
    const dbPath = dbPathIn(t);
    const created = await runCli(['user', 'add', 'marco', '--password-stdin'], { ATSAUTH_DB: dbPath }, 'pw\n');
    assert.equal(created.code, 0, created.stderr);

    // Root ignores file modes, so as root the file is made immutable instead.
    const isRoot = process.getuid?.() === 0;
    if (isRoot) {
      try {
        execFileSync('chattr', ['+i', dbPath], { stdio: 'ignore' });
      } catch {
        t.skip('running as root on a file system without chattr +i');
        return;
      }
    } else {
      chmodSync(dbPath, 0o400);
    }

    let stderr: string;
    try {
      stderr = await failedStart(serverEnv(dbPath));
    } finally {
      if (isRoot) execFileSync('chattr', ['-i', dbPath]);
    }

    assert.match(stderr, new RegExp(`Database is read-only: ${dbPath}: make the file`));
  });

  test('names a port already in use', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    const stderr = await failedStart(serverEnv(dbPathIn(t), { ATSAUTH_SERVER_LISTEN_PORT: String(port) }));

    assert.match(stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: address already in use: stop the process that uses port ${port}`));
  });

  test('names an address that is not on this host', async (t) => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737), assigned to no host.
    const env = serverEnv(dbPathIn(t), { ATSAUTH_SERVER_LISTEN_ADDRESS: '192.0.2.1' });
    const stderr = await failedStart(env);

    assert.match(stderr, /Cannot listen on 192\.0\.2\.1:0: address not available on this host: set ATSAUTH_SERVER_LISTEN_ADDRESS to an address of this host, such as 127\.0\.0\.1, or 0\.0\.0\.0/);
    assert.doesNotMatch(stderr, /EADDRNOTAVAIL|free the port/);
  });

  test('names a secret path that is a directory', async (t) => {
    const dbPath = dbPathIn(t);
    mkdirSync(`${dbPath}.secret`);
    const stderr = await failedStart({ ...serverEnv(dbPath), ATSAUTH_SERVER_JWT_SECRET: '' });

    assert.match(stderr, new RegExp(`Cannot read the JWT secret file: ${dbPath}\\.secret: is a directory: move the directory`));
    assert.doesNotMatch(stderr, /EISDIR|permissions/);
  });

  test('names a database path that is a directory', async (t) => {
    const directory = makeTempDir(t);
    const stderr = await failedStart(serverEnv(directory));

    assert.match(stderr, new RegExp(`Database path is a directory: ${directory}: set ATSAUTH_DB to a file path`));
  });

  test('rejects a secret file with a second line', async (t) => {
    const dbPath = dbPathIn(t);
    writeFileSync(`${dbPath}.secret`, 'first-line-of-the-secret-file-here\nsecond-line\n', { mode: 0o600 });
    const stderr = await failedStart({ ...serverEnv(dbPath), ATSAUTH_SERVER_JWT_SECRET: '' });

    assert.match(stderr, /Invalid JWT secret file: .*without control characters/);
    assert.ok(!stderr.includes('first-line-of-the-secret'), 'secret in the message');
  });

  test('names a damaged page and the fix', async (t) => {
    const dbPath = dbPathIn(t);
    await addUsers(dbPath, [{ name: 'marco', password: 'pw' }]);
    damagePage(dbPath);
    const stderr = await failedStart(serverEnv(dbPath));

    assert.match(stderr, new RegExp(`Database file is corrupt.*: ${dbPath}: restore it from a backup`));
    assert.ok(stderr.includes(`sqlite3 ${dbPath} .recover`), stderr);
    assert.doesNotMatch(stderr, /unexpected failure/);
  });

  test('creates no secret file for a read-only database', async (t) => {
    const dbPath = dbPathIn(t);
    await addUsers(dbPath, [{ name: 'marco', password: 'pw' }]);
    const isRoot = process.getuid?.() === 0;
    if (isRoot) {
      try {
        execFileSync('chattr', ['+i', dbPath], { stdio: 'ignore' });
      } catch {
        t.skip('running as root on a file system without chattr +i');
        return;
      }
    } else {
      chmodSync(dbPath, 0o400);
    }

    let stderr: string;
    try {
      stderr = await failedStart({ ...serverEnv(dbPath), ATSAUTH_SERVER_JWT_SECRET: '' });
    } finally {
      if (isRoot) execFileSync('chattr', ['-i', dbPath]);
    }

    assert.match(stderr, /Database is read-only/);
    assert.equal(existsSync(`${dbPath}.secret`), false);
  });
});

/** Overwrites bytes inside the second page, past its header, as a failing disk might. */
function damagePage(dbPath: string): void {
  const fd = openSync(dbPath, 'r+');
  try {
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 4104);
  } finally {
    closeSync(fd);
  }
}

describe('server start warnings', () => {
  test('logs trusted proxies covering every address', async (t) => {
    const server = await startTestServer(t, { env: { ATSAUTH_SERVER_TRUSTED_PROXIES: '0.0.0.0/0' } });

    assert.match(server.logs(), /^warning: ATSAUTH_SERVER_TRUSTED_PROXIES covers every IPv4 address/m);
  });

  test('logs an unknown variable with the closest name', async (t) => {
    const dbPath = dbPathIn(t);
    const server = await startServerProcess({ t, env: serverEnv(dbPath, { ATSAUTH_SERVER_LISTEN_PROT: '9000' }) });

    assert.match(server.logs(), /^warning: Unknown variable ATSAUTH_SERVER_LISTEN_PROT is ignored: did you mean ATSAUTH_SERVER_LISTEN_PORT\?$/m);
  });
});
