/**
 * Help text in the layout of Python's argparse and cliff, which the original client
 * printed: a wrapped usage line, a description, then options with help aligned in a
 * column that starts at most 24 characters in, wrapped at 78.
 */

import type { CommandSpec, OptionSpec, PositionalSpec } from './command.ts';

export const PROGRAM = 'ats-auth';

const WIDTH = 78;
const MAX_HELP_POSITION = 24;

const MAIN_USAGE = `usage: ats-auth [--version] [-v | -q] [--log-file LOG_FILE] [-h] [--debug]
                [--config CONFIG] [--debug-requests]`;

const MAIN_OPTIONS = `optional arguments:
  --version            show program's version number and exit
  -v, --verbose        Increase verbosity of output. Can be repeated.
  -q, --quiet          Suppress output except warnings and errors.
  --log-file LOG_FILE  Specify a file to log output. Disabled by default.
  -h, --help           Show help message and exit.
  --debug              Show tracebacks on errors.
  --config CONFIG      Configuration file (default: auth-client.ini)
  --debug-requests     Print request details`;

/** Packs words into lines of at most `width` characters; a longer word gets its own line. */
function packWords(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';

  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);

  return lines;
}

/** Splits `text` into lines of at most `width` characters at spaces. */
export function wrapText(text: string, width: number): string[] {
  return packWords(text.split(/\s+/).filter(Boolean), width);
}

/** Returns the command name as typed, for example `token create`. */
export function commandName(spec: CommandSpec): string {
  return spec.words.join(' ');
}

/** Lists commands as cliff does: sorted by name, the name padded to 13 characters. */
export function formatCommandList(commands: readonly CommandSpec[]): string {
  return [...commands]
    .sort((a, b) => (commandName(a) < commandName(b) ? -1 : 1))
    .map((spec) => `  ${commandName(spec).padEnd(13)}  ${spec.summary}`)
    .join('\n');
}

/** Formats the top-level help that `ats-auth help` and `ats-auth -h` print. */
export function formatMainHelp(commands: readonly CommandSpec[]): string {
  return `${MAIN_USAGE}\n\n${PROGRAM}\n\n${MAIN_OPTIONS}\n\nCommands:\n${formatCommandList(commands)}\n`;
}

function optionInvocation(option: OptionSpec): string {
  const long = `--${option.name}`;
  const value = option.type === 'string' ? ` ${optionMetavar(option)}` : '';
  if (option.short === undefined) return `${long}${value}`;

  return `-${option.short}${value}, ${long}${value}`;
}

function optionMetavar(option: OptionSpec): string {
  if (option.choices !== undefined) return `{${option.choices.join(',')}}`;

  return option.metavar ?? option.name.toUpperCase().replaceAll('-', '_');
}

function usageItem(option: OptionSpec): string {
  const flag = option.short === undefined ? `--${option.name}` : `-${option.short}`;

  return option.type === 'string' ? `[${flag} ${optionMetavar(option)}]` : `[${flag}]`;
}

function positionalUsage(positional: PositionalSpec): string {
  const name = positional.variadic === true ? `${positional.name} [${positional.name} ...]` : positional.name;

  return positional.optional === true ? `[${name}]` : name;
}

/** Formats `usage: ats-auth token create [-h] ...`, wrapped under the first item. */
export function formatUsage(spec: CommandSpec): string {
  const prefix = `usage: ${PROGRAM} ${commandName(spec)} `;
  const items = ['[-h]', ...spec.options.map(usageItem), ...spec.positionals.map(positionalUsage)];
  const lines = packWords(items, WIDTH - prefix.length);
  const indent = ' '.repeat(prefix.length);

  return lines.map((line, index) => (index === 0 ? prefix : indent) + line).join('\n');
}

type HelpRow = readonly [invocation: string, help: string];

/** Column where help text starts: as argparse does, one column for all rows of a help. */
function helpColumnFor(rows: readonly HelpRow[]): number {
  const longest = Math.max(...rows.map(([invocation]) => invocation.length));

  return Math.min(longest + 4, MAX_HELP_POSITION);
}

function formatRows(rows: readonly HelpRow[], helpColumn: number): string[] {
  const out: string[] = [];

  for (const [invocation, help] of rows) {
    const wrapped = wrapText(help, WIDTH - helpColumn);
    const head = `  ${invocation}`;
    if (head.length + 2 <= helpColumn) {
      out.push(`${head.padEnd(helpColumn)}${wrapped[0] ?? ''}`.trimEnd());
    } else {
      out.push(head);
      if (wrapped[0] !== undefined) out.push(' '.repeat(helpColumn) + wrapped[0]);
    }
    for (const line of wrapped.slice(1)) out.push(' '.repeat(helpColumn) + line);
  }

  return out;
}

/**
 * Formats the help of one command, as `help CMD` and `CMD -h` print it. Each option group gets
 * its own section and help column, so options added in a group leave the layout of the
 * original options unchanged.
 */
export function formatCommandHelp(spec: CommandSpec): string {
  const sections = [formatUsage(spec), spec.summary];
  const positionalRows = spec.positionals.map((positional): HelpRow => [positional.name, positional.help]);
  const groups = new Map<string, HelpRow[]>([['optional arguments', [['-h, --help', 'show this help message and exit']]]]);
  for (const option of spec.options) {
    const title = option.group ?? 'optional arguments';
    const rows = groups.get(title) ?? [];
    rows.push([optionInvocation(option), option.help]);
    groups.set(title, rows);
  }

  const mainRows = groups.get('optional arguments') ?? [];
  if (positionalRows.length > 0) {
    const column = helpColumnFor([...positionalRows, ...mainRows]);
    sections.push(['positional arguments:', ...formatRows(positionalRows, column)].join('\n'));
  }
  for (const [title, rows] of groups) {
    const column = helpColumnFor(title === 'optional arguments' ? [...positionalRows, ...rows] : rows);
    sections.push([`${title}:`, ...formatRows(rows, column)].join('\n'));
  }
  if (spec.epilog !== undefined) sections.push(spec.epilog);

  return `${sections.join('\n\n')}\n`;
}
