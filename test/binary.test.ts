/**
 * Checks the built single executable named by ATS_AUTH_BIN (`make binary` writes
 * dist/ats-auth): its version, its checksum file, a quiet start, and a server, a user and
 * a token made by that one file. It builds nothing: without ATS_AUTH_BIN, every test is
 * skipped.
 */

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';

import { REPO_ROOT, cleanEnv, makeTempDir, runCli } from './helpers/cli.ts';
import { serverEnv, startServerProcess } from './helpers/server.ts';

const binaryPath = process.env['ATS_AUTH_BIN'] ? resolve(process.env['ATS_AUTH_BIN']) : undefined;
const skip = binaryPath === undefined
  ? 'ATS_AUTH_BIN is not set: run make binary, then ATS_AUTH_BIN=$PWD/dist/ats-auth make test'
  : false;

const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const packageVersion: unknown = packageJson.version;

/** Decodes the payload of a JWT without checking it. */
function decodePayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';

  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('single executable', () => {
  test('--version prints the package.json version', { skip }, async () => {
    const result = await runCli(['--version']);

    assert.equal(result.status, 0);
    assert.equal(result.stdout, `ats-auth ${packageVersion}\n`);
    assert.equal(result.stderr, '');
  });

  test('checksum file matches the executable', { skip }, () => {
    const binary = binaryPath!;
    const line = readFileSync(`${binary}.sha256`, 'utf8');
    const match = /^([0-9a-f]{64}) {2}(\S+)\n$/.exec(line);

    assert.ok(match, `Not one sha256sum line: ${JSON.stringify(line)}`);
    assert.equal(match[2], `${basename(dirname(binary))}/${basename(binary)}`);
    assert.equal(match[1], createHash('sha256').update(readFileSync(binary)).digest('hex'));
  });

  test('sha256sum -c accepts the checksum file', { skip }, () => {
    const binary = binaryPath!;
    const result = spawnSync('sha256sum', ['-c', join(basename(dirname(binary)), `${basename(binary)}.sha256`)], {
      cwd: dirname(dirname(binary)),
      encoding: 'utf8',
    });

    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /: OK$/m);
  });

  test('help writes nothing to stderr', { skip }, async () => {
    const result = await runCli(['help']);

    assert.equal(result.status, 0);
    assert.match(result.stdout, /^usage: ats-auth /);
    assert.equal(result.stderr, '');
  });

  test('token create against own server', { skip }, async (t) => {
    const home = makeTempDir();
    const dbPath = join(home, 'ats-auth.db');
    const env = serverEnv(dbPath);
    const server = await startServerProcess({ t, env });

    const added = await runCli(['user', 'add', 'marco', '--password-stdin'], {
      env: cleanEnv(home, env),
      input: 's3cret-Passw0rd\n',
    });
    assert.equal(added.status, 0, added.stderr);

    const created = await runCli(['token', 'create', '--username', 'marco', '--password-stdin'], {
      env: cleanEnv(home, { ATS_AUTH_URL: server.url }),
      input: 's3cret-Passw0rd\n',
    });
    assert.equal(created.status, 0, created.stderr);
    assert.doesNotMatch(created.stderr, /Warning/);

    const token = created.stdout.trim();
    assert.equal(decodePayload(token)['sub'], 'marco');
    const verified = await fetch(new URL('/token/verify', server.url), {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(verified.status, 204);
    assert.equal(verified.headers.get('x-auth-userid'), 'marco');

    assert.equal(await server.stop(), 0);
    assert.doesNotMatch(server.logs(), /Warning/);
  });
});
