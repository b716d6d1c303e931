import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { maskTokens, redactBody, redactHeader } from '../lib/client/redact.ts';

const TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJtYXJjbyJ9.3DWqx1J-DhaFbHurmALqAGkJbFGyKxTn_YTGUwk6KYo';

describe('redactHeader()', () => {
  const cases = [
    { name: 'Authorization', value: `Bearer ${TOKEN}`, want: 'Bearer ***' },
    { name: 'authorization', value: 'Basic bWFyY286c2VjcmV0', want: 'Basic ***' },
    { name: 'Proxy-Authorization', value: 'opaque', want: '***' },
    { name: 'Cookie', value: 'session=abc', want: '***' },
    { name: 'X-Auth-UserId', value: 'marco', want: 'marco' },
    { name: 'X-Forwarded', value: `for ${TOKEN}`, want: 'for ***' },
  ];

  for (const { name, value, want } of cases) {
    test(`masks ${name}: ${want}`, () => {
      assert.equal(redactHeader(name, value), want);
    });
  }
});

describe('redactBody()', () => {
  test('masks password and token members of JSON', () => {
    const body = JSON.stringify({ username: 'marco', password: 'hunter2', nested: { token: TOKEN } });
    const out = redactBody(body, 'application/json');
    assert.equal(out.includes('hunter2'), false);
    assert.equal(out.includes(TOKEN), false);
    assert.equal(out.includes('marco'), true);
  });

  test('masks a token inside a JSON string value', () => {
    const out = redactBody(JSON.stringify({ note: `got ${TOKEN} here` }), 'application/json');
    assert.equal(out, '{"note":"got *** here"}');
  });

  test('masks secret form fields', () => {
    const out = redactBody('user=marco&password=hunter2', 'application/x-www-form-urlencoded');
    assert.equal(out.includes('hunter2'), false);
  });

  test('masks tokens in free text', () => {
    assert.equal(maskTokens(`<p>${TOKEN}</p>`), '<p>***</p>');
  });
});
