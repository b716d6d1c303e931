import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { reprJson, reprString } from '../lib/format/pyrepr.ts';

describe('reprJson()', () => {
  const cases = [
    { value: { alg: 'HS256', typ: 'JWT' }, want: "{'alg': 'HS256', 'typ': 'JWT'}" },
    {
      value: { exp: 1446568241.016732, iat: 1446564641.016732, iss: 'ats.auth', sub: 'marco' },
      want: "{'exp': 1446568241.016732, 'iat': 1446564641.016732, 'iss': 'ats.auth', 'sub': 'marco'}",
    },
    { value: { a: true, b: false, c: null }, want: "{'a': True, 'b': False, 'c': None}" },
    { value: { list: [1, 'x', [2]] }, want: "{'list': [1, 'x', [2]]}" },
    { value: { nested: { k: 1 } }, want: "{'nested': {'k': 1}}" },
    { value: {}, want: '{}' },
  ];

  for (const { value, want } of cases) {
    test(`renders ${want}`, () => {
      assert.equal(reprJson(value), want);
    });
  }
});

describe('reprString()', () => {
  const cases = [
    { text: "it's", want: `"it's"` },
    { text: `both ' and "`, want: `'both \\' and "'` },
    { text: 'line\nbreak\ttab', want: "'line\\nbreak\\ttab'" },
    { text: 'bell\u0007', want: "'bell\\x07'" },
    { text: 'back\\slash', want: "'back\\\\slash'" },
    { text: 'café', want: "'café'" },
  ];

  for (const { text, want } of cases) {
    test(`quotes ${JSON.stringify(text)}`, () => {
      assert.equal(reprString(text), want);
    });
  }
});
