import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import { getIniValue, parseIni } from '../lib/config/ini.ts';

describe('parseIni()', () => {
  const values = [
    { name: 'equals delimiter', text: '[client]\njwt_secret = abc\n', want: 'abc' },
    { name: 'colon delimiter', text: '[client]\njwt_secret: abc\n', want: 'abc' },
    { name: 'CRLF line ends', text: '[client]\r\njwt_secret = abc\r\n', want: 'abc' },
    { name: 'UTF-8 BOM', text: '\uFEFF[client]\njwt_secret = abc\n', want: 'abc' },
    { name: 'surrounding whitespace', text: '  [client]  \n\t jwt_secret\t=  abc  \n', want: 'abc' },
    { name: 'value with =', text: '[client]\njwt_secret = a=b==\n', want: 'a=b==' },
    { name: 'value with # and ;', text: '[client]\njwt_secret = a#b;c ; d\n', want: 'a#b;c ; d' },
    { name: 'comment lines', text: '# top\n[client]\n; note\n  # indented\njwt_secret = x\n', want: 'x' },
    { name: 'upper-case key', text: '[client]\nJWT_SECRET = x\n', want: 'x' },
    { name: 'empty value', text: '[client]\njwt_secret =\n', want: '' },
    { name: 'continuation line', text: '[client]\njwt_secret = a\n  b\n', want: 'a\nb' },
    { name: 'DEFAULT fallback', text: '[DEFAULT]\njwt_secret = d\n[client]\n', want: 'd' },
  ];

  for (const { name, text, want } of values) {
    test(`reads ${name}`, () => {
      const document = parseIni(text, 'test.ini');
      assert.equal(getIniValue(document, 'client', 'jwt_secret')?.value, want);
    });
  }

  const errors = [
    { name: 'key outside a section', text: 'jwt_secret = x\n', line: 1 },
    { name: 'line without delimiter', text: '[client]\njust words\n', line: 2 },
    { name: 'unclosed section', text: '[client\nkey = x\n', line: 1 },
    { name: 'duplicate key', text: '[client]\na = 1\nA = 2\n', line: 3 },
    { name: 'duplicate section', text: '[a]\n[b]\n[a]\n', line: 3 },
    { name: 'empty key', text: '[client]\n= value\n', line: 2 },
  ];

  for (const { name, text, line } of errors) {
    test(`rejects ${name} with file and line`, () => {
      assert.throws(
        () => parseIni(text, '/etc/x.ini'),
        (error: unknown) =>
          isAtsAuthError(error, 'ERR_CONFIG') && error.message.includes(`/etc/x.ini, line ${line}`),
      );
    });
  }

  test('keeps __proto__ as an ordinary section and key', () => {
    const document = parseIni('[__proto__]\n__proto__ = x\n', 'test.ini');
    assert.equal(getIniValue(document, '__proto__', '__proto__')?.value, 'x');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  test('records the line of each value', () => {
    const document = parseIni('\n[session]\n\nserver_url = http://h/\n', 'test.ini');
    assert.equal(getIniValue(document, 'session', 'server_url')?.line, 4);
  });
});
