import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ARGON2_COST, MAX_PASSWORD_BYTES, hashPassword, verifyPassword } from '../lib/users/password.ts';

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('hashPassword()', () => {
  test('returns an Argon2id PHC string with the OWASP cost', async () => {
    const phc = await hashPassword('correct horse battery staple');

    assert.match(phc, PHC);
    assert.deepEqual(ARGON2_COST, { memoryKiB: 19456, passes: 2, parallelism: 1 });
  });

  test('uses a fresh salt each time', async () => {
    const [first, second] = await Promise.all([hashPassword('same'), hashPassword('same')]);

    assert.notEqual(first, second);
  });

  const invalid = [
    { name: 'an empty password', password: '' },
    { name: 'an oversized password', password: 'x'.repeat(MAX_PASSWORD_BYTES + 1) },
  ];
  for (const { name, password } of invalid) {
    test(`rejects ${name}`, async () => {
      await assert.rejects(hashPassword(password), TypeError);
    });
  }
});

describe('verifyPassword()', () => {
  test('accepts the right password only', async () => {
    const phc = await hashPassword('s3cret-ünïcode');

    assert.equal(await verifyPassword('s3cret-ünïcode', phc), true);
    assert.equal(await verifyPassword('s3cret-unicode', phc), false);
    assert.equal(await verifyPassword('', phc), false);
  });

  test('verifies a hash made by argon2-cffi', async () => {
    // The example in the argon2-cffi README, made with its default cost (64 MiB, 3 passes,
    // 4 lanes), so this also checks that stored costs other than ours are honoured.
    const phc =
      '$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg';

    assert.equal(await verifyPassword('correct horse battery staple', phc), true);
    assert.equal(await verifyPassword('Tr0ub4dor&3', phc), false);
  });

  const unusable = [
    { name: 'argon2i', phc: (good: string) => good.replace('$argon2id$', '$argon2i$') },
    { name: 'another version', phc: (good: string) => good.replace('v=19', 'v=16') },
    { name: 'a huge memory cost', phc: (good: string) => good.replace('m=19456', 'm=99999999') },
    { name: 'zero passes', phc: (good: string) => good.replace('t=2', 't=0') },
    { name: 'a truncated hash', phc: (good: string) => good.slice(0, -30) },
    { name: 'plain text', phc: () => 'password' },
  ];
  for (const { name, phc } of unusable) {
    test(`never matches ${name}`, async () => {
      const good = await hashPassword('password');

      assert.equal(await verifyPassword('password', phc(good)), false);
    });
  }
});
