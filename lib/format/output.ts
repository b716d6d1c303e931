/**
 * Output formats in the manner of openstackclient (cliff). One record prints as a
 * Field | Value table, JSON, shell assignments, bare values or YAML. Lists of rows print as
 * a table, JSON, values, YAML or CSV. `-c COLUMN` picks and orders the columns.
 */

import { AtsAuthError } from '../errors.ts';
import type { OptionSpec, ParsedArgs } from '../cli/command.ts';
import { formatTable } from './table.ts';
import { escapeLine } from './terminal.ts';
import { formatCsvField, formatRawValue, formatShellAssignment } from './text.ts';
import { formatYaml } from './yaml.ts';

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
      return fields.map(([, value]) => `${escapeLine(formatRawValue(value))}\n`).join('');
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
      return picked.map((row) => `${row.map((value) => escapeLine(formatRawValue(value))).join(' ')}\n`).join('');
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
