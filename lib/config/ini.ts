/**
 * A small ini parser in the dialect of Python's configparser, the format the original
 * ats-auth client read: `[section]`, `key = value` or `key: value`, whole-line `;` and `#`
 * comments, indented continuation lines, case-insensitive keys. Values are kept as
 * written: no `%` interpolation and no inline comments, so a secret containing `=`, `#`
 * or `;` survives whole.
 */

import { AtsAuthError } from '../errors.ts';

/** One parsed value and the line it came from, for error messages. */
export interface IniEntry {
  value: string;
  line: number;
}

/** Sections by name, then entries by lower-cased key; both maps ignore `__proto__` tricks. */
export type IniDocument = Map<string, Map<string, IniEntry>>;

const SECTION = /^\[([^\]]+)\]\s*$/;

function syntaxError(source: string, line: number, problem: string): AtsAuthError {
  return new AtsAuthError('ERR_CONFIG', `Invalid ini syntax in ${source}, line ${line}: ${problem}`);
}

/**
 * Parses ini text; `source` names the file in error messages. Accepts CRLF line ends and a
 * leading UTF-8 byte order mark.
 */
export function parseIni(text: string, source: string): IniDocument {
  const document: IniDocument = new Map();
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let section: Map<string, IniEntry> | undefined;
  let last: IniEntry | undefined;

  for (const [index, raw] of lines.entries()) {
    const lineNumber = index + 1;
    const trimmed = raw.trim();

    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      last = trimmed === '' ? undefined : last;
      continue;
    }

    if (/^\s/.test(raw) && last !== undefined) {
      last.value = last.value === '' ? trimmed : `${last.value}\n${trimmed}`;
      continue;
    }

    const header = SECTION.exec(trimmed);
    if (header !== null) {
      const name = (header[1] ?? '').trim();
      if (document.has(name)) throw syntaxError(source, lineNumber, `duplicate section [${name}]`);

      section = new Map();
      document.set(name, section);
      last = undefined;
      continue;
    }

    const delimiter = trimmed.search(/[=:]/);
    if (delimiter <= 0) {
      throw syntaxError(source, lineNumber, 'expected "[section]" or "key = value"');
    }
    if (section === undefined) {
      throw syntaxError(source, lineNumber, 'key outside a section: add a [section] line above it');
    }

    const key = trimmed.slice(0, delimiter).trim().toLowerCase();
    if (section.has(key)) throw syntaxError(source, lineNumber, `duplicate key "${key}"`);

    last = { value: trimmed.slice(delimiter + 1).trim(), line: lineNumber };
    section.set(key, last);
  }

  return document;
}

/** Returns a value from `section`, falling back to `[DEFAULT]` as configparser does. */
export function getIniValue(document: IniDocument, section: string, key: string): IniEntry | undefined {
  return document.get(section)?.get(key) ?? document.get('DEFAULT')?.get(key);
}
