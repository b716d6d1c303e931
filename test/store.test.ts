import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import { WriteBatcher } from '../lib/store/batch.ts';
import { checkIntegrity, openDatabase, runTransaction } from '../lib/store/db.ts';
import type { Store } from '../lib/store/db.ts';
import { RevocationSet } from '../lib/store/revocation-set.ts';
import { MAX_STORED_US, RevocationTable, revokeAllTokensOf } from '../lib/store/revocations.ts';
import { APPLICATION_ID, SCHEMA_VERSION } from '../lib/store/schema.ts';
import { Settings } from '../lib/store/settings.ts';
import { UserStore, assertValidUsername, foldUsername, isValidUsername } from '../lib/store/users.ts';
import { makeTempDir } from './helpers/server.ts';

function openTemp(t: TestContext): Store {
  const store = openDatabase(join(makeTempDir(t), 'ats-auth.db'), { busyTimeoutMs: 1000 });
  t.after(() => {
    if (store.db.isOpen) store.db.close();
  });

  return store;
}

function pragma(db: DatabaseSync, name: string): unknown {
  return Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
}

describe('openDatabase()', () => {
  test('creates a private WAL database at the current schema', (t) => {
    const store = openTemp(t);

    assert.equal(pragma(store.db, 'journal_mode'), 'wal');
    assert.equal(pragma(store.db, 'synchronous'), 2);
    assert.equal(pragma(store.db, 'user_version'), SCHEMA_VERSION);
    assert.equal(pragma(store.db, 'application_id'), APPLICATION_ID);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
  });

  test('opens an existing database again', (t) => {
    const first = openTemp(t);
    new UserStore(first.db).add({ name: 'marco', passwordHash: 'x', isAdmin: false });
    first.db.close();

    const second = openDatabase(first.path, { busyTimeoutMs: 1000 });
    t.after(() => second.db.close());

    assert.equal(new UserStore(second.db).find('marco')?.name, 'marco');
  });

  const broken = [
    {
      name: 'a file that is not SQLite',
      prepare: (path: string) => writeFileSync(path, 'hello, this is not a database\n'.repeat(200)),
      message: /^Database file is corrupt or not an SQLite database: .*ats-auth\.db: restore it/,
    },
    {
      name: 'an SQLite file of another program',
      prepare: (path: string) => {
        const db = new DatabaseSync(path);
        db.exec('CREATE TABLE photos (id INTEGER)');
        db.close();
      },
      message: /^Not an ats-auth database: .*ats-auth\.db: .*set ATSAUTH_DB/,
    },
    {
      name: 'a newer schema',
      prepare: (path: string) => {
        const db = new DatabaseSync(path);
        db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
        db.close();
      },
      message: /^Database schema is too new: .*ats-auth\.db: .*run a newer ats-auth$/,
    },
  ];
  for (const { name, prepare, message } of broken) {
    test(`rejects ${name}`, (t) => {
      const path = join(makeTempDir(t), 'ats-auth.db');
      prepare(path);

      assert.throws(
        () => openDatabase(path, { busyTimeoutMs: 100 }),
        (error) => isAtsAuthError(error, 'ERR_STORE') && message.test(error.message),
      );
    });
  }

  test('rejects a missing directory', (t) => {
    const directory = join(makeTempDir(t), 'missing');
    const path = join(directory, 'ats-auth.db');

    assert.throws(
      () => openDatabase(path, { busyTimeoutMs: 100 }),
      (error) =>
        isAtsAuthError(error, 'ERR_STORE') &&
        error.message.startsWith(`Cannot open the database: ${path}: no such directory: ${directory}: create it`),
    );
  });

  test('rejects /dev/null as the database path', () => {
    for (const readOnly of [false, true]) {
      assert.throws(
        () => openDatabase('/dev/null', { busyTimeoutMs: 100, readOnly }),
        (error) =>
          isAtsAuthError(error, 'ERR_STORE') &&
          error.message === 'Database path is not a regular file: /dev/null: set ATSAUTH_DB to a file path',
      );
    }
  });

  test('rejects a directory when opening read-only', (t) => {
    const path = makeTempDir(t);

    assert.throws(
      () => openDatabase(path, { busyTimeoutMs: 100, readOnly: true }),
      (error) => isAtsAuthError(error, 'ERR_STORE') && error.message.startsWith(`Database path is a directory: ${path}`),
    );
  });

  test('rejects a directory as the database path', (t) => {
    const path = makeTempDir(t);

    assert.throws(
      () => openDatabase(path, { busyTimeoutMs: 100 }),
      (error) =>
        isAtsAuthError(error, 'ERR_STORE') &&
        error.message === `Database path is a directory: ${path}: set ATSAUTH_DB to a file path, such as ${join(path, 'ats-auth.db')}`,
    );
  });

  test('opens read-only without creating a file', (t) => {
    const path = join(makeTempDir(t), 'ats-auth.db');

    assert.throws(
      () => openDatabase(path, { busyTimeoutMs: 100, readOnly: true }),
      (error) => isAtsAuthError(error, 'ERR_STORE'),
    );
    assert.throws(() => statSync(path), { code: 'ENOENT' });
  });

  test('opens read-only and rejects writes', (t) => {
    const first = openTemp(t);
    new UserStore(first.db).add({ name: 'marco', passwordHash: 'x', isAdmin: false });
    const reader = openDatabase(first.path, { busyTimeoutMs: 100, readOnly: true });
    t.after(() => reader.db.close());

    assert.equal(new UserStore(reader.db).find('marco')?.name, 'marco');
    assert.throws(
      () => runTransaction(reader, () => new Settings(reader.db).raise('issued_until_us', 1)),
      (error) => isAtsAuthError(error, 'ERR_STORE') && error.message.startsWith('Database is read-only'),
    );
  });

  test('checkIntegrity() names a damaged page and the fix', (t) => {
    const first = openTemp(t);
    new UserStore(first.db).add({ name: 'marco', passwordHash: 'x', isAdmin: false });
    first.db.close();
    const fd = openSync(first.path, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 4104);
    closeSync(fd);
    const store = openDatabase(first.path, { busyTimeoutMs: 100 });
    t.after(() => store.db.close());

    assert.throws(
      () => checkIntegrity(store),
      (error) =>
        isAtsAuthError(error, 'ERR_STORE') &&
        error.message.startsWith('Database file is corrupt') &&
        error.message.includes(`sqlite3 ${store.path} .recover`),
    );
  });

  test('checkIntegrity() passes a sound database', (t) => {
    assert.doesNotThrow(() => checkIntegrity(openTemp(t)));
  });

  test('reports a lock held by another process', (t) => {
    const store = openTemp(t);
    const other = new DatabaseSync(store.path, { timeout: 0 });
    t.after(() => other.close());
    other.exec('BEGIN EXCLUSIVE');

    assert.throws(
      () => runTransaction(store, () => new Settings(store.db).raise('issued_until_us', 1)),
      (error) =>
        isAtsAuthError(error, 'ERR_STORE') &&
        error.message.startsWith(`Database is locked: ${store.path}: another process`),
    );
  });
});

describe('UserStore', () => {
  test('adds, lists, updates and removes users', (t) => {
    const users = new UserStore(openTemp(t).db);
    users.add({ name: 'root', passwordHash: 'hash-root', isAdmin: true });
    users.add({ name: 'marco', passwordHash: 'hash-marco', isAdmin: false });

    assert.deepEqual(users.list().map((user) => user.name), ['marco', 'root']);
    assert.equal(users.find('root')?.isAdmin, true);
    assert.equal(users.setPasswordHash('marco', 'hash-2'), true);
    assert.equal(users.find('marco')?.passwordHash, 'hash-2');
    assert.equal(users.setPasswordHash('ghost', 'hash'), false);
    assert.equal(users.remove('marco'), true);
    assert.equal(users.remove('marco'), false);
    assert.equal(users.find('marco'), undefined);
  });

  test('rejects a taken name with ERR_CONFLICT', (t) => {
    const users = new UserStore(openTemp(t).db);
    users.add({ name: 'marco', passwordHash: 'x', isAdmin: false });

    assert.throws(
      () => users.add({ name: 'marco', passwordHash: 'y', isAdmin: true }),
      (error) => isAtsAuthError(error, 'ERR_CONFLICT'),
    );
  });

  const similarNames = [
    { existing: 'admin', added: 'ADMIN' },
    { existing: 'Admin', added: 'admin' },
    { existing: 'marco', added: 'MARCO' },
  ];
  for (const { existing, added } of similarNames) {
    test(`rejects ${added} next to ${existing} with ERR_CONFLICT`, (t) => {
      const users = new UserStore(openTemp(t).db);
      users.add({ name: existing, passwordHash: 'x', isAdmin: false });

      assert.throws(
        () => users.add({ name: added, passwordHash: 'y', isAdmin: true }),
        (error) =>
          isAtsAuthError(error, 'ERR_CONFLICT') &&
          error.message.startsWith(`User name ${added} clashes with the existing user ${existing}:`),
      );
      assert.deepEqual(users.list().map((user) => user.name), [existing]);
    });
  }

  test('foldUsername() folds case and compatibility forms', () => {
    assert.equal(foldUsername('ADMIN'), 'admin');
    // U+FF21 FULLWIDTH LATIN CAPITAL LETTER A becomes "A" under NFKC, then "a".
    assert.equal(foldUsername('\uff21dmin'), 'admin');
  });

  const invalidNames = [
    { name: '', rule: 'it is empty' },
    { name: 'a'.repeat(129), rule: 'it is longer than 128 characters' },
    { name: 'marco\r\nX-Auth-UserId: root', rule: 'it contains a control or formatting character' },
    { name: 'mar\u200dco', rule: 'it contains a control or formatting character' },
    { name: ' marco', rule: 'it starts or ends with white space' },
    { name: 'marco rossi', rule: 'it contains a character other than ASCII letters, digits and . _ @ + -' },
  ];
  for (const { name, rule } of invalidNames) {
    test(`assertValidUsername() names the rule for ${JSON.stringify(name.slice(0, 20))}`, () => {
      assert.throws(
        () => assertValidUsername(name),
        (error) => isAtsAuthError(error, 'ERR_USAGE') && error.message.includes(`: ${rule}; use 1 to 128`),
      );
    });
  }

  const names = [
    { name: 'marco', valid: true },
    { name: 'marco.rossi+ci@example.org', valid: true },
    { name: 'a'.repeat(128), valid: true },
    { name: 'a'.repeat(129), valid: false },
    { name: '', valid: false },
    { name: '-marco', valid: false },
    { name: 'marco rossi', valid: false },
    { name: 'marco\r\nX-Auth-UserId: root', valid: false },
    { name: 'màrco', valid: false },
  ];
  for (const { name, valid } of names) {
    test(`isValidUsername() returns ${valid} for ${JSON.stringify(name.slice(0, 20))}`, () => {
      assert.equal(isValidUsername(name), valid);
    });
  }
});

describe('WriteBatcher', () => {
  test('commits writes of one turn in one transaction', async (t) => {
    const store = openTemp(t);
    const batcher = new WriteBatcher(store);
    const table = new RevocationTable(store.db);
    const inTransaction: boolean[] = [];
    let committedBefore = 0;

    const writes = Array.from({ length: 100 }, (_, index) =>
      batcher.submit(() => {
        inTransaction.push(store.db.isTransaction);
        table.insertToken({ key: `k${index}`, expiresAtUs: 1 });
      }),
    );
    const reader = new DatabaseSync(store.path);
    t.after(() => reader.close());
    committedBefore = Number(reader.prepare('SELECT count(*) AS n FROM revoked_tokens').get()?.['n']);
    await Promise.all(writes);

    assert.equal(committedBefore, 0);
    assert.deepEqual(new Set(inTransaction), new Set([true]));
    assert.equal(reader.prepare('SELECT count(*) AS n FROM revoked_tokens').get()?.['n'], 100);
  });

  test('rejects only the write that fails', async (t) => {
    const store = openTemp(t);
    const batcher = new WriteBatcher(store);
    const table = new RevocationTable(store.db);

    const before = batcher.submit(() => table.insertToken({ key: 'before', expiresAtUs: 1 }));
    const bad = batcher.submit(() => {
      table.insertToken({ key: 'half-done', expiresAtUs: 1 });
      throw new Error('write failed');
    });
    const after = batcher.submit(() => table.insertToken({ key: 'after', expiresAtUs: 1 }));

    await assert.rejects(bad, /write failed/);
    await before;
    await after;
    const keys = [...table.iterateTokens()].map((token) => token.key).sort();
    assert.deepEqual(keys, ['after', 'before']);
  });

  test('isolates a row SQLite rejects', async (t) => {
    const store = openTemp(t);
    const batcher = new WriteBatcher(store);
    const table = new RevocationTable(store.db);
    // 1e19 does not fit a 64-bit INTEGER, so the STRICT table rejects the row.
    const insertRaw = store.db.prepare('INSERT INTO revoked_tokens VALUES (?, ?)');

    const writes = Array.from({ length: 10 }, (_, index) =>
      batcher.submit(() => table.insertToken({ key: `k${index}`, expiresAtUs: 1 })),
    );
    const bad = batcher.submit(() => insertRaw.run('too-late', 1e19));

    await assert.rejects(bad, (error) => isAtsAuthError(error, 'ERR_STORE'));
    await Promise.all(writes);
    assert.equal([...table.iterateTokens()].length, 10);
  });

  test('rejects every write while the database is locked', async (t) => {
    const store = openDatabase(join(makeTempDir(t), 'ats-auth.db'), { busyTimeoutMs: 0 });
    t.after(() => store.db.close());
    const holder = new DatabaseSync(store.path);
    t.after(() => holder.close());
    holder.exec('BEGIN EXCLUSIVE');
    const batcher = new WriteBatcher(store);
    const table = new RevocationTable(store.db);

    const first = batcher.submit(() => table.insertToken({ key: 'a', expiresAtUs: 1 }));
    const second = batcher.submit(() => table.insertToken({ key: 'b', expiresAtUs: 1 }));

    const locked = (error: unknown) =>
      isAtsAuthError(error, 'ERR_STORE') && error.message.startsWith('Database is locked');
    await assert.rejects(first, locked);
    await assert.rejects(second, locked);
  });

  test('rejects writes after close', async (t) => {
    const batcher = new WriteBatcher(openTemp(t));
    batcher.close();

    await assert.rejects(batcher.submit(() => {}), (error) => isAtsAuthError(error, 'ERR_STORE'));
  });
});

describe('RevocationSet', () => {
  test('stores a revocation on disk and in memory', async (t) => {
    const store = openTemp(t);
    const revocations = new RevocationSet(store, new WriteBatcher(store));

    await revocations.revokeToken({ key: 'jti-1', expiresAtUs: Date.now() * 1000 + 60e6 });
    await revocations.revokeUser('marco', 1_000, 2_000);

    assert.equal(revocations.hasToken('jti-1'), true);
    assert.equal(revocations.notBeforeOf('marco'), 1_000);
    const fresh = new RevocationSet(store, new WriteBatcher(store));
    assert.equal(fresh.hasToken('jti-1'), true);
    assert.equal(fresh.notBeforeOf('marco'), 1_000);
  });

  test('never lowers a not-before time', async (t) => {
    const store = openTemp(t);
    const revocations = new RevocationSet(store, new WriteBatcher(store));

    await revocations.revokeUser('marco', 5_000, 9_000);
    await revocations.revokeUser('marco', 3_000, 9_000);

    assert.equal(revocations.notBeforeOf('marco'), 5_000);
    assert.equal(new RevocationTable(store.db).readNotBefore('marco'), 5_000);
  });

  test('loads changes committed by another connection', async (t) => {
    const store = openTemp(t);
    const revocations = new RevocationSet(store, new WriteBatcher(store));
    const other = openDatabase(store.path, { busyTimeoutMs: 1000 });
    t.after(() => other.db.close());

    assert.equal(revocations.reloadIfChanged(), false);
    let written = 0;
    runTransaction(other, () => {
      written = revokeAllTokensOf(other.db, 'marco', 3600e6);
    });

    assert.equal(revocations.reloadIfChanged(), true);
    assert.ok(written > 0);
    assert.equal(revocations.notBeforeOf('marco'), written);
  });

  test('purges expired revocations', async (t) => {
    const store = openTemp(t);
    const revocations = new RevocationSet(store, new WriteBatcher(store));
    await revocations.revokeToken({ key: 'old', expiresAtUs: 1_000 });
    await revocations.revokeToken({ key: 'new', expiresAtUs: 3_000 });
    await revocations.revokeUser('marco', 500, 1_500);

    const dropped = await revocations.purge(2_000);

    assert.equal(dropped, 1);
    assert.equal(revocations.hasToken('old'), false);
    assert.equal(revocations.hasToken('new'), true);
    assert.equal(revocations.notBeforeOf('marco'), 0);
    assert.equal(revocations.purgedUntilUs, 2_000);
    assert.deepEqual([...new RevocationTable(store.db).iterateTokens()].map((token) => token.key), ['new']);
  });
});

describe('RevocationTable', () => {
  test('stores times past the safe integer range as the maximum', (t) => {
    const store = openTemp(t);
    const table = new RevocationTable(store.db);

    table.insertToken({ key: 'far', expiresAtUs: 1e19 });
    table.raiseNotBefore('marco', 1e19, 2e19);

    assert.deepEqual([...table.iterateTokens()], [{ key: 'far', expiresAtUs: MAX_STORED_US }]);
    assert.equal(table.readNotBefore('marco'), MAX_STORED_US);
  });
});

describe('revokeAllTokensOf()', () => {
  test('covers every token a server issued', (t) => {
    const store = openTemp(t);
    const settings = new Settings(store.db);
    const aheadUs = Date.now() * 1000 + 5e6;
    settings.raise('issued_until_us', aheadUs);
    settings.raise('max_token_ttl_us', 7200e6);

    const notBeforeUs = runTransaction(store, () => revokeAllTokensOf(store.db, 'marco', 3600e6));

    assert.equal(notBeforeUs, aheadUs);
    const row = store.db.prepare('SELECT expires_at_us FROM user_not_before WHERE name = ?').get('marco');
    assert.equal(row?.['expires_at_us'], aheadUs + 7200e6);
  });
});
