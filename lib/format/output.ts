/**
 * Output formats in the manner of openstackclient (cliff). One record prints as a
 * Field | Value table, JSON, shell assignments, bare values or YAML. Lists of rows print as
 * a table, JSON, values, YAML or CSV. `-c COLUMN` picks and orders the columns.
 */

import { AtsAuthError } from '../errors.ts';
import type { OptionSpec, ParsedArgs } from '../cli/command.ts';

/** Formats of a command that shows one record. */
export const RECORD_FORMATS = ['table', 'json', 'shell', 'value', 'yaml'] as const;

/** Formats of a command that lists rows. */
export const LIST_FORMATS = ['table', 'json', 'value', 'yaml', 'csv'] as const;

/** Default start of the variable names that `-f shell` prints. */
export const DEFAULT_SHELL_PREFIX = 'ATS_AUTH_';

/**
 * One record: column names in display order with their JSON values. An `undefined` value
 * is a column the record lacks: it is left out unless `-c` names it.
 */
export type OutputRecord = readonly (readonly [column: string, value: unknown])[];

/** Output choices of one invocation: format, columns and shell variable prefix. */
export interface OutputSettings {
  format: string;
  /** Columns named by `-c`, in the order given; empty means every column. */
  columns: readonly string[];
  /** Start of the variable names of `-f shell`. */
  prefix: string;
}

/** Builds the `-f`, `-c` and `--prefix` options; `formats` are the `-f` choices. */
export function outputOptions(formats: readonly string[], defaultFormat: string): OptionSpec[] {
  const options: OptionSpec[] = [
    {
      name: 'format',
      short: 'f',
      type: 'string',
      choices: formats,
      group: 'output formatters',
      help: `output format (default: ${defaultFormat})`,
    },
    {
      name: 'column',
      short: 'c',
      type: 'string',
      metavar: 'COLUMN',
      multiple: true,
      group: 'output formatters',
      help: 'show only this column; repeat the option to show several, in that order',
    },
  ];
  if (formats.includes('shell')) {
    options.push({
      name: 'prefix',
      type: 'string',
      metavar: 'PREFIX',
      group: 'output formatters',
      help: `start of the variable names that -f shell prints (default: ${DEFAULT_SHELL_PREFIX})`,
    });
  }

  return options;
}

/** Reads the output options; `-f` falls back to `defaultFormat` when it is absent. */
export function readOutputSettings(args: ParsedArgs, defaultFormat: string): OutputSettings {
  const format = args.values['format'];
  const columns = args.values['column'];
  const prefix = args.values['prefix'];
  if (typeof prefix === 'string' && !/^([A-Za-z_][A-Za-z0-9_]*)?$/.test(prefix)) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Invalid --prefix "${prefix}": use letters, digits and "_", not starting with a digit`,
    );
  }

  return {
    format: typeof format === 'string' ? format : defaultFormat,
    columns: Array.isArray(columns) ? columns : [],
    prefix: typeof prefix === 'string' ? prefix : DEFAULT_SHELL_PREFIX,
  };
}

/**
 * Returns the columns to show: those `-c` named, each checked against `known`, or else
 * every column the data has.
 */
export function selectColumns(
  requested: readonly string[],
  known: readonly string[],
  present: readonly string[],
): string[] {
  if (requested.length === 0) return [...present];

  for (const column of requested) {
    if (!known.includes(column)) {
      throw new AtsAuthError(
        'ERR_USAGE',
        `Unknown column "${column}" for -c: choose from ${known.join(', ')}`,
      );
    }
  }

  return [...new Set(requested)];
}

/**
 * Renders one record. `known` lists every column `-c` may name, so that a script asking
 * for a claim the token lacks gets an empty value, not an error.
 */
export function formatRecord(
  record: OutputRecord,
  known: readonly string[],
  settings: OutputSettings,
): string {
  const values = new Map(record.filter(([, value]) => value !== undefined));
  const columns = selectColumns(settings.columns, known, [...values.keys()]);
  const fields = columns.map((column) => [column, values.get(column) ?? null] as const);

  switch (settings.format) {
    case 'table':
      return formatTable(
        ['Field', 'Value'],
        fields.map(([name, value]) => [name, value]),
      );
    case 'json':
      return `${JSON.stringify(Object.fromEntries(fields), null, 2)}\n`;
    case 'shell':
      return fields
        .map(([name, value]) => formatShellAssignment(settings.prefix, name, value))
        .join('');
    case 'value':
      return fields.map(([, value]) => `${formatRawValue(value)}\n`).join('');
    case 'yaml':
      return formatYaml(Object.fromEntries(fields));
    default:
      throw new TypeError(`Unknown record format "${settings.format}"`);
  }
}

/** Renders rows of values under `columns`, as a command like `user list` prints them. */
export function formatList(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  settings: OutputSettings,
): string {
  const selected = selectColumns(settings.columns, columns, columns);
  const indexes = selected.map((column) => columns.indexOf(column));
  const picked = rows.map((row) => indexes.map((index) => row[index] ?? null));
  const objects = picked.map((row) =>
    Object.fromEntries(selected.map((name, i) => [name, row[i]])),
  );

  switch (settings.format) {
    case 'table':
      return picked.length === 0 ? '' : formatTable(selected, picked);
    case 'json':
      return `${JSON.stringify(objects, null, 2)}\n`;
    case 'value':
      return picked.map((row) => `${row.map(formatRawValue).join(' ')}\n`).join('');
    case 'yaml':
      return formatYaml(objects);
    case 'csv':
      return [selected, ...picked]
        .map((row) => `${row.map(formatCsvField).join(',')}\r\n`)
        .join('');
    default:
      throw new TypeError(`Unknown list format "${settings.format}"`);
  }
}

/** Returns a value as plain text: strings as they are, anything else as compact JSON. */
export function formatRawValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;

  return typeof value === 'object' ? JSON.stringify(value) : formatJsonScalar(value);
}

// C0 and C1 control characters, DEL and the bidirectional overrides could move the cursor,
// recolour the terminal or reorder what is shown, and token claims are untrusted.
const UNSAFE_ON_TERMINAL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Escapes what a terminal would interpret, keeping line feeds for the caller to split. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_ON_TERMINAL, (char) => {
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';

    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Draws an ASCII table as openstackclient does, one row per line of a multi-line cell. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
): string {
  const cells = rows.map((row) =>
    row.map((value) => escapeForTerminal(formatRawValue(value)).split('\n')),
  );
  const widths = header.map((name, column) =>
    Math.max(displayWidth(name), ...cells.flatMap((row) => (row[column] ?? []).map(displayWidth))),
  );
  const rule = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (texts: readonly string[]) =>
    `| ${texts.map((text, column) => padDisplay(text, widths[column] ?? 0)).join(' | ')} |`;

  const out = [rule, line(header), rule];
  for (const row of cells) {
    const height = Math.max(1, ...row.map((cell) => cell.length));
    for (let index = 0; index < height; index += 1) {
      out.push(line(row.map((cell) => cell[index] ?? '')));
    }
  }
  out.push(rule);

  return `${out.join('\n')}\n`;
}

/** Counts code points, so that accented and non-Latin text lines up in most terminals. */
function displayWidth(text: string): number {
  return Array.from(text).length;
}

function padDisplay(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/**
 * Formats `NAME="value"` for `eval` in any POSIX shell. Inside double quotes only `$`, the
 * backquote, `"` and `\` are special, so escaping those four makes every other byte,
 * line feeds included, literal.
 */
export function formatShellAssignment(prefix: string, column: string, value: unknown): string {
  const name = `${prefix}${column.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
  // NOTE: shell variables cannot contain NUL, so a NUL in a value is dropped.
  const text = formatRawValue(value).replaceAll('\u0000', '');
  const quoted = text.replace(/[$`"\\]/g, (char) => `\\${char}`);

  return `${name}="${quoted}"\n`;
}

/** Quotes a CSV field when RFC 4180 requires it. */
function formatCsvField(value: unknown): string {
  const text = formatRawValue(value);

  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Formats a finite number as JSON does, and infinities and NaN with their YAML names. */
function formatNumber(value: number): string {
  if (Number.isFinite(value)) return JSON.stringify(value);
  if (Number.isNaN(value)) return '.nan';

  return value > 0 ? '.inf' : '-.inf';
}

function formatJsonScalar(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);

  return String(value);
}

// YAML 1.1 readers such as PyYAML turn these plain words into booleans or null.
const YAML_RESERVED = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;

// YAML 1.2 allows in double quotes every character but C0 and C1 controls, DEL, lone
// surrogates, U+FEFF, U+FFFE and U+FFFF; those are escaped. The u flag makes a surrogate
// pair one character, so only a lone surrogate matches.
const YAML_UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufeff\ufffe\uffff]/gu;

const YAML_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
};

function escapeYamlCharacter(char: string): string {
  return YAML_SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Writes a string plain when no YAML reader can mistake it, else double-quoted. */
function formatYamlString(text: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_./+-]*$/.test(text) && !YAML_RESERVED.test(text)) return text;

  const escaped = text
    .replace(/["\\]/g, (char) => `\\${char}`)
    .replace(YAML_UNPRINTABLE, escapeYamlCharacter);

  return `"${escaped}"`;
}

function formatYamlScalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return formatYamlString(value);

  return formatJsonScalar(value);
}

function isNonEmptyContainer(value: unknown): value is object {
  if (Array.isArray(value)) return value.length > 0;

  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

/** Returns the block-style YAML lines of a JSON value, indented by `indent` spaces. */
function yamlLines(value: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isNonEmptyContainer(item)) return [`${pad}- ${formatYamlInline(item)}`];

      const [first = '', ...rest] = yamlLines(item, indent + 2);
      return [`${pad}- ${first.trimStart()}`, ...rest];
    });
  }

  return Object.entries(value as object).flatMap(([key, item]) => {
    const name = formatYamlString(key);
    if (!isNonEmptyContainer(item)) return [`${pad}${name}: ${formatYamlInline(item)}`];

    return [`${pad}${name}:`, ...yamlLines(item, Array.isArray(item) ? indent : indent + 2)];
  });
}

function formatYamlInline(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object' && value !== null) return '{}';

  return formatYamlScalar(value);
}

/** Renders a JSON value as a YAML document in block style. */
export function formatYaml(value: unknown): string {
  if (!isNonEmptyContainer(value)) return `${formatYamlInline(value)}\n`;

  return `${yamlLines(value, 0).join('\n')}\n`;
}
