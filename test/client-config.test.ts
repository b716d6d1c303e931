import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { loadClientConfig } from '../lib/config/client-config.ts';
import { isAtsAuthError } from '../lib/errors.ts';
import { makeTempDir } from './helpers/cli.ts';

function writeConfig(dir: string, name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);

  return path;
}

describe('loadClientConfig()', () => {
  test('uses defaults when no file exists', () => {
    const home = makeTempDir();
    const config = loadClientConfig(undefined, { HOME: home, XDG_CONFIG_HOME: join(home, 'none') });
    assert.equal(config.serverUrl.href, 'http://127.0.0.1:8081/');
    assert.equal(config.jwtSecret, undefined);
  });

  test('reads the explicit file', () => {
    const dir = makeTempDir();
    const path = writeConfig(dir, 'a.ini', '[session]\nserver_url = http://10.0.0.9:9000\n[client]\njwt_secret = s3=cr#t\n');
    const config = loadClientConfig(path, { HOME: dir });
    assert.equal(config.path, path);
    assert.equal(config.serverUrl.href, 'http://10.0.0.9:9000/');
    assert.equal(config.jwtSecret, 's3=cr#t');
  });

  test('rejects a missing explicit file', () => {
    const dir = makeTempDir();
    assert.throws(
      () => loadClientConfig(join(dir, 'missing.ini'), { HOME: dir }),
      (error: unknown) => isAtsAuthError(error, 'ERR_CONFIG') && error.message.includes('missing.ini'),
    );
  });

  test('rejects a missing ATS_AUTH_CONFIG file', () => {
    const dir = makeTempDir();
    assert.throws(
      () => loadClientConfig(undefined, { HOME: dir, ATS_AUTH_CONFIG: join(dir, 'gone.ini') }),
      (error: unknown) => isAtsAuthError(error, 'ERR_CONFIG'),
    );
  });

  test('finds the XDG file', () => {
    const home = makeTempDir();
    const path = writeConfig(home, 'cfg/ats-auth/auth-client.ini', '[client]\njwt_secret = x1\n');
    const config = loadClientConfig(undefined, { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg') });
    assert.equal(config.path, path);
    assert.equal(config.jwtSecret, 'x1');
  });

  test('lets the environment override the file', () => {
    const dir = makeTempDir();
    const path = writeConfig(dir, 'a.ini', '[session]\nserver_url = http://a:1/\n[client]\njwt_secret = file\n');
    const config = loadClientConfig(path, {
      HOME: dir,
      ATS_AUTH_URL: 'https://b.example:2/prefix',
      ATS_AUTH_JWT_SECRET: 'env',
    });
    assert.equal(config.serverUrl.href, 'https://b.example:2/prefix/');
    assert.equal(config.jwtSecret, 'env');
  });

  test('warns when other users can read the secret', () => {
    const dir = makeTempDir();
    const path = writeConfig(dir, 'a.ini', '[client]\njwt_secret = x\n', 0o644);
    const config = loadClientConfig(path, { HOME: dir });
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0] ?? '', /chmod 600/);
    assert.equal(config.warnings[0]?.includes('= x'), false);
  });

  const badUrls = ['not a url', 'ftp://host/', 'http://user:pw@host/'];
  for (const url of badUrls) {
    test(`rejects server_url ${url}`, () => {
      const dir = makeTempDir();
      const path = writeConfig(dir, 'a.ini', `[session]\nserver_url = ${url}\n`);
      assert.throws(
        () => loadClientConfig(path, { HOME: dir }),
        (error: unknown) =>
          isAtsAuthError(error, 'ERR_CONFIG') && error.message.includes('line 2') && !error.message.includes('pw@'),
      );
    });
  }
});
