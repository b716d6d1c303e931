/**
 * Completion's view of the command declarations, shared by the bash, zsh and fish
 * generators: each option's spellings, the command words that follow a path, and the
 * option tables the scripts look up.
 */

import type { CommandSpec, OptionSpec } from '../command.ts';
import { commandName } from '../help.ts';

/** Completion's view of an option: the words that spell it and what may follow it. */
export interface CompletionOption {
  /** `-f` and `--format`, or only the long form. */
  words: readonly string[];
  help: string;
  takesValue: boolean;
  completesFiles: boolean;
  choices: readonly string[];
}

/** Global options, recognised anywhere on the line. */
export const GLOBAL_OPTIONS: readonly CompletionOption[] = [
  globalOption(['--version'], "show program's version number and exit"),
  globalOption(['-v', '--verbose'], 'Increase verbosity of output. Can be repeated.'),
  globalOption(['-q', '--quiet'], 'Suppress output except warnings and errors.'),
  globalOption(['--log-file'], 'Specify a file to log output. Disabled by default.', true),
  globalOption(['-h', '--help'], 'Show help message and exit.'),
  globalOption(['--debug'], 'Show tracebacks on errors.'),
  globalOption(['--config'], 'Configuration file (default: auth-client.ini)', true),
  globalOption(['--debug-requests'], 'Print request details'),
];

function globalOption(words: readonly string[], help: string, file = false): CompletionOption {
  return { words, help, takesValue: file, completesFiles: file, choices: [] };
}

export function toCompletionOption(option: OptionSpec): CompletionOption {
  return {
    words:
      option.short === undefined ? [`--${option.name}`] : [`-${option.short}`, `--${option.name}`],
    help: option.help,
    takesValue: option.type === 'string',
    completesFiles: option.completeFiles === true,
    choices: option.choices ?? [],
  };
}

/** Returns the command words that may follow `path` (empty for the first word), sorted. */
export function childWords(commands: readonly CommandSpec[], path: readonly string[]): string[] {
  const children = commands
    .filter(
      (spec) => spec.words.length > path.length && path.every((word, i) => spec.words[i] === word),
    )
    .map((spec) => spec.words[path.length] ?? '');

  return [...new Set(children)].sort();
}

/** Returns every command path that has further words: the empty path, then `token`. */
export function groupPaths(commands: readonly CommandSpec[]): string[][] {
  const groups = new Map<string, string[]>([['', []]]);
  for (const spec of commands) {
    for (let length = 1; length < spec.words.length; length += 1) {
      const path = spec.words.slice(0, length);
      groups.set(path.join(' '), path);
    }
  }

  return [...groups.values()];
}

/** Returns the summary of a command word: the command's own, or a group label. */
export function describeWord(
  commands: readonly CommandSpec[],
  path: readonly string[],
  word: string,
): string {
  const full = [...path, word].join(' ');
  const spec = commands.find((candidate) => commandName(candidate) === full);

  return spec?.summary ?? `${full} commands`;
}

/** Quotes `text` in single quotes for bash, zsh and POSIX sh. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A shell function name derived from the program name. */
export function completionFunctionName(program: string): string {
  return `_${program.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
}

/** Tables both bash and zsh read: options, which take a value or files, and choices. */
export function optionTables(commands: readonly CommandSpec[]) {
  const perCommand = commands.map(
    (spec) => [commandName(spec), spec.options.map(toCompletionOption)] as const,
  );
  const wordsWhere = (
    options: readonly CompletionOption[],
    keep: (option: CompletionOption) => boolean,
  ) =>
    ` ${options
      .filter(keep)
      .flatMap((option) => option.words)
      .join(' ')} `;

  return {
    options: perCommand.map(
      ([name, options]) => [name, options.flatMap((o) => o.words).join(' ')] as const,
    ),
    withValue: perCommand.map(
      ([name, options]) => [name, wordsWhere(options, (o) => o.takesValue)] as const,
    ),
    fileOptions: perCommand.map(
      ([name, options]) => [name, wordsWhere(options, (o) => o.completesFiles)] as const,
    ),
    choices: perCommand
      .flatMap(([name, options]) =>
        options.flatMap((o) =>
          o.words.map((word) => [`${name} ${word}`, o.choices.join(' ')] as const),
        ),
      )
      .filter(([, choices]) => choices !== ''),
    globals: GLOBAL_OPTIONS.flatMap((option) => option.words).join(' '),
    globalValues: wordsWhere(GLOBAL_OPTIONS, (option) => option.takesValue),
  };
}
