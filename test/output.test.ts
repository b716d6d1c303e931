import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { isAtsAuthError } from '../lib/errors.ts';
import { formatList, formatRecord, readOutputSettings } from '../lib/format/output.ts';
import type { OutputRecord, OutputSettings } from '../lib/format/output.ts';
import { formatTable } from '../lib/format/table.ts';
import { escapeForTerminal } from '../lib/format/terminal.ts';
import { formatShellAssignment } from '../lib/format/text.ts';
import { formatYaml } from '../lib/format/yaml.ts';

const RECORD: OutputRecord = [
  ['alg', 'HS256'],
  ['kid', undefined],
  ['sub', 'marco'],
  ['exp', 1446568241.016732],
  ['admin', true],
  ['aud', ['a', 'b']],
];
const KNOWN = ['alg', 'kid', 'sub', 'exp', 'admin', 'aud'];

function settings(format: string, columns: string[] = [], prefix = 'ATS_AUTH_'): OutputSettings {
  return { format, columns, prefix };
}

/** Hostile values for -f shell: each must come back from eval byte for byte. */
const HOSTILE_VALUES = [
  'plain',
  '',
  'say "hi"',
  "it's",
  '$(touch PWNED)',
  '`touch PWNED`',
  '${HOME}',
  '$HOME',
  'line1\nline2\n',
  'ends with a backslash\\',
  'backslash before newline\\\nnext',
  'back\\slash \\" and \\$',
  '!bang !! !$',
  'tab\tand\rcarriage return',
  '; touch PWNED; echo',
  'ünïcödé ✓ 😀',
  '\u001b[31mred',
];

function hasShell(name: string): boolean {
  return spawnSync(name, ['-c', 'exit 0']).status === 0;
}

describe('formatRecord()', () => {
  test('json keeps column order and types', () => {
    const parsed = JSON.parse(formatRecord(RECORD, KNOWN, settings('json')));

    assert.deepEqual(Object.keys(parsed), ['alg', 'sub', 'exp', 'admin', 'aud']);
    assert.equal(parsed.exp, 1446568241.016732);
    assert.equal(parsed.admin, true);
    assert.deepEqual(parsed.aud, ['a', 'b']);
  });

  test('-c picks columns in the order given', () => {
    const parsed = JSON.parse(formatRecord(RECORD, KNOWN, settings('json', ['sub', 'alg'])));

    assert.deepEqual(Object.keys(parsed), ['sub', 'alg']);
  });

  test('-c of an absent known column gives null', () => {
    const parsed = JSON.parse(formatRecord(RECORD, KNOWN, settings('json', ['kid'])));

    assert.deepEqual(parsed, { kid: null });
  });

  test('-c of an unknown column is a usage error', () => {
    assert.throws(
      () => formatRecord(RECORD, KNOWN, settings('json', ['nope'])),
      (error) => isAtsAuthError(error, 'ERR_USAGE') && /"nope".*alg, kid/.test(error.message),
    );
  });

  test('value prints one raw value per line', () => {
    const text = formatRecord(RECORD, KNOWN, settings('value', ['sub', 'exp', 'aud', 'kid']));

    assert.equal(text, 'marco\n1446568241.016732\n["a","b"]\n\n');
  });

  test('table draws Field and Value columns', () => {
    const text = formatRecord(RECORD, KNOWN, settings('table', ['alg', 'sub']));

    assert.equal(
      text,
      [
        '+-------+-------+',
        '| Field | Value |',
        '+-------+-------+',
        '| alg   | HS256 |',
        '| sub   | marco |',
        '+-------+-------+',
        '',
      ].join('\n'),
    );
  });

  test('yaml writes block style', () => {
    const text = formatRecord(RECORD, KNOWN, settings('yaml'));

    assert.equal(
      text,
      'alg: HS256\nsub: marco\nexp: 1446568241.016732\nadmin: true\naud:\n- a\n- b\n',
    );
  });
});

describe('formatTable()', () => {
  test('splits multi-line values into rows', () => {
    const text = formatTable(['Field', 'Value'], [['x', 'one\ntwo']]);

    assert.match(text, /^\| x {5}\| one {3}\|$/m);
    assert.match(text, /^\| {7}\| two {3}\|$/m);
  });

  test('escapes control characters', () => {
    const text = formatTable(['Field', 'Value'], [['x', '\u001b[2J\u0007\t\u202e']]);

    assert.ok(!text.includes('\u001b'), text);
    assert.ok(!text.includes('\u0007'), text);
    assert.ok(!text.includes('\u202e'), text);
    assert.ok(text.includes('\\u001b[2J\\u0007\\t\\u202e'), text);
  });
});

describe('escapeForTerminal()', () => {
  const cases = [
    { input: 'plain text', want: 'plain text' },
    { input: 'keeps\nline feeds', want: 'keeps\nline feeds' },
    { input: 'a\rb', want: 'a\\rb' },
    { input: '\u0000\u007f\u009b', want: '\\u0000\\u007f\\u009b' },
    { input: 'ünï ✓', want: 'ünï ✓' },
  ];

  for (const { input, want } of cases) {
    test(`escapes ${JSON.stringify(input)}`, () => {
      assert.equal(escapeForTerminal(input), want);
    });
  }
});

describe('formatShellAssignment()', () => {
  test('names are prefix plus upper-case column', () => {
    assert.equal(formatShellAssignment('ATS_AUTH_', 'exp_iso', 'x'), 'ATS_AUTH_EXP_ISO="x"\n');
    assert.equal(formatShellAssignment('', 'token', 'x'), 'TOKEN="x"\n');
  });

  test('drops NUL, which shell variables cannot hold', () => {
    assert.equal(formatShellAssignment('', 'a', 'x\u0000y'), 'A="xy"\n');
  });

  for (const shell of ['bash', 'sh']) {
    test(
      `hostile values survive eval in ${shell}`,
      { skip: !hasShell(shell) && `${shell} not installed` },
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'ats-auth-shell-'));
        try {
          const lines = HOSTILE_VALUES.map((value, index) =>
            formatShellAssignment('V_', `n${index}`, value),
          );
          const names = HOSTILE_VALUES.map((_, index) => `"$V_N${index}"`).join(' ');
          const script = `${lines.join('')}printf '%s\\0' ${names}`;
          const result = spawnSync(shell, ['-c', 'eval "$1"', 'eval', script], {
            cwd: dir,
            encoding: 'utf8',
          });

          assert.equal(result.status, 0, result.stderr);
          assert.deepEqual(result.stdout.split('\0').slice(0, -1), HOSTILE_VALUES);
          assert.equal(existsSync(join(dir, 'PWNED')), false);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  }
});

describe('formatYaml()', () => {
  const cases = [
    { value: { a: 'yes' }, want: 'a: "yes"\n' },
    { value: { a: 'Null' }, want: 'a: "Null"\n' },
    { value: { a: '2026-01-01T00:00:00.000Z' }, want: 'a: "2026-01-01T00:00:00.000Z"\n' },
    { value: { a: '' }, want: 'a: ""\n' },
    { value: { a: 'x: y' }, want: 'a: "x: y"\n' },
    { value: { a: 'line\nfeed' }, want: 'a: "line\\nfeed"\n' },
    { value: { a: '\u0085' }, want: 'a: "\\u0085"\n' },
    { value: { a: null, b: false, c: -1.5 }, want: 'a: null\nb: false\nc: -1.5\n' },
    { value: { a: {}, b: [] }, want: 'a: {}\nb: []\n' },
    { value: { 'odd key': { k: 1 } }, want: '"odd key":\n  k: 1\n' },
    { value: { n: 'y' }, want: '"n": "y"\n' },
    { value: [{ a: 1, b: [2] }], want: '- a: 1\n  b:\n  - 2\n' },
    { value: [], want: '[]\n' },
  ];

  for (const { value, want } of cases) {
    test(`writes ${JSON.stringify(value)}`, () => {
      assert.equal(formatYaml(value), want);
    });
  }

  const hasPyYaml = spawnSync('python3', ['-c', 'import yaml']).status === 0;
  test(
    'PyYAML reads back hostile values',
    { skip: !hasPyYaml && 'python3 with PyYAML not installed' },
    () => {
      const value = {
        strings: [
          ...HOSTILE_VALUES,
          'yes',
          'no',
          'on',
          '~',
          '1e3',
          '0x1F',
          '- dash',
          '#hash',
          '[x]',
          '{y}',
        ],
        nested: { 'key: colon': [{ deep: [[]] }], empty: {} },
        numbers: [0, -1, 1.5, 1446568241.016732],
        flags: [true, false, null],
      };
      const reader = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))';
      const result = spawnSync('python3', ['-c', reader], {
        input: formatYaml(value),
        encoding: 'utf8',
      });

      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), value);
    },
  );
});

describe('formatList()', () => {
  const columns = ['name', 'admin'];
  const rows = [
    ['marco', false],
    ['a,"b"', true],
  ];

  test('table has one row per item', () => {
    const text = formatList(columns, rows, settings('table'));

    assert.match(text, /^\| name {2}\| admin \|$/m);
    assert.match(text, /^\| marco \| false \|$/m);
  });

  test('table of no rows prints nothing', () => {
    assert.equal(formatList(columns, [], settings('table')), '');
  });

  test('json is an array of objects', () => {
    const parsed = JSON.parse(formatList(columns, rows, settings('json')));

    assert.deepEqual(parsed, [
      { name: 'marco', admin: false },
      { name: 'a,"b"', admin: true },
    ]);
  });

  test('csv quotes as RFC 4180 requires', () => {
    const text = formatList(columns, rows, settings('csv'));

    assert.equal(text, 'name,admin\r\nmarco,false\r\n"a,""b""",true\r\n');
  });

  test('value prints one line per row', () => {
    assert.equal(formatList(columns, rows, settings('value', ['admin'])), 'false\ntrue\n');
  });

  test('yaml is a sequence of mappings', () => {
    const text = formatList(columns, rows.slice(0, 1), settings('yaml'));

    assert.equal(text, '- name: marco\n  admin: false\n');
  });
});

describe('readOutputSettings()', () => {
  test('falls back to the default format and prefix', () => {
    const read = readOutputSettings({ values: {}, positionals: [] }, 'table');

    assert.deepEqual(read, { format: 'table', columns: [], prefix: 'ATS_AUTH_' });
  });

  for (const prefix of ['1X', 'a-b', 'a b', '$(x)']) {
    test(`rejects --prefix ${JSON.stringify(prefix)}`, () => {
      assert.throws(
        () => readOutputSettings({ values: { prefix }, positionals: [] }, 'table'),
        (error) => isAtsAuthError(error, 'ERR_USAGE'),
      );
    });
  }

  test('accepts an empty --prefix', () => {
    const read = readOutputSettings({ values: { prefix: '' }, positionals: [] }, 'shell');

    assert.equal(read.prefix, '');
  });
});
