/**
 * Command-line splitting in cliff's manner: global options are recognised anywhere, the
 * leading words name a command (each word may be a unique prefix), and what remains is
 * parsed against that command's own options with util.parseArgs.
 */

import { parseArgs } from 'node:util';

import { AtsAuthError } from '../errors.ts';
import type { CommandSpec, GlobalOptions, OptionSpec, ParsedArgs } from './command.ts';
import { PROGRAM, commandName } from './help.ts';
import { closestNames } from './suggest.ts';

/** Global options plus the flags that stop before any command runs. */
export interface GlobalFlags extends GlobalOptions {
  help: boolean;
  version: boolean;
  quiet: boolean;
}

export interface Invocation {
  globals: GlobalFlags;
  /** The resolved command, or undefined when the line names none. */
  command: CommandSpec | undefined;
  /** Arguments left for the command once globals and command words are removed. */
  rest: string[];
}

/**
 * A command word or option that names nothing: a usage error (exit status 2) printed
 * without the `error:` prefix, followed by the closest valid names.
 */
export class UnknownCommandError extends AtsAuthError {
  readonly suggestions: readonly string[];

  constructor(message: string, suggestions: readonly string[]) {
    super('ERR_USAGE', message);
    this.suggestions = suggestions;
  }
}

const GLOBAL_WITH_VALUE = new Map<string, 'logFile' | 'config'>([
  ['--log-file', 'logFile'],
  ['--config', 'config'],
] as const);

/** Applies one global option at `argv[index]`; returns how many items it used, or 0. */
function takeGlobal(argv: readonly string[], index: number, globals: GlobalFlags): number {
  const arg = argv[index] ?? '';
  const [name, inline] = arg.startsWith('--') ? splitInline(arg) : [arg, undefined];
  const key = GLOBAL_WITH_VALUE.get(name);

  if (key !== undefined) {
    const value = inline ?? argv[index + 1];
    if (value === undefined || value === '') {
      throw new AtsAuthError('ERR_USAGE', `Option ${name} needs a value: ${name} ${key === 'config' ? 'CONFIG' : 'LOG_FILE'}`);
    }
    globals[key] = value;

    return inline === undefined ? 2 : 1;
  }

  if (name === '--verbose') globals.verbosity += 1;
  else if (name === '--quiet') globals.quiet = true;
  else if (name === '--debug') globals.debug = true;
  else if (name === '--debug-requests') globals.debugRequests = true;
  else if (name === '--help') globals.help = true;
  else if (name === '--version') globals.version = true;
  else if (/^-[vqh]+$/.test(arg)) takeShortGlobals(arg, globals);
  else return 0;

  return 1;
}

function takeShortGlobals(arg: string, globals: GlobalFlags): void {
  for (const letter of arg.slice(1)) {
    if (letter === 'v') globals.verbosity += 1;
    else if (letter === 'q') globals.quiet = true;
    else globals.help = true;
  }
}

function splitInline(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');

  return equals < 0 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

/** Matches a typed word against `names`: exact first, then a unique prefix. */
function matchWord(word: string, names: readonly string[]): string[] {
  if (names.includes(word)) return [word];

  return names.filter((name) => name.startsWith(word));
}

/** Resolves the leading words; returns the command and how many words it used. */
export function resolveCommand(words: readonly string[], commands: readonly CommandSpec[]) {
  const typed = words.join(' ');
  const firstWords = [...new Set(commands.map((spec) => spec.words[0] ?? ''))];
  const first = matchWord(words[0] ?? '', firstWords);
  if (first.length !== 1) throw unknownCommand(typed, commands);

  const group = commands.filter((spec) => spec.words[0] === first[0]);
  const leaf = group.find((spec) => spec.words.length === 1);
  if (leaf !== undefined) return { command: leaf, used: 1 };

  const groupName = group[0]?.words[0] ?? '';
  if (words[1] === undefined) {
    throw new UnknownCommandError(
      `'${typed}' needs a subcommand. See '${PROGRAM} help ${groupName}'.`,
      group.map(commandName),
    );
  }

  const second = matchWord(words[1], group.map((spec) => spec.words[1] ?? ''));
  if (second.length > 1) {
    throw new UnknownCommandError(
      `'${typed}' is ambiguous. See '${PROGRAM} help ${groupName}'.`,
      group.filter((spec) => second.includes(spec.words[1] ?? '')).map(commandName),
    );
  }

  const command = group.find((spec) => spec.words[1] === second[0]);
  if (command === undefined) throw unknownCommand(typed, commands);

  return { command, used: 2 };
}

function unknownCommand(typed: string, commands: readonly CommandSpec[]): UnknownCommandError {
  return new UnknownCommandError(
    `'${typed}' is not an ${PROGRAM} command. See '${PROGRAM} --help'.`,
    closestNames(typed, commands.map(commandName)),
  );
}

const GLOBAL_OPTION_NAMES = [
  '--version', '--verbose', '--quiet', '--log-file', '--help', '--debug', '--config', '--debug-requests',
];

function unknownGlobalOption(arg: string): UnknownCommandError {
  const [name] = splitInline(arg);

  return new UnknownCommandError(
    `'${name}' is not an ${PROGRAM} option. See '${PROGRAM} --help'.`,
    closestNames(name, GLOBAL_OPTION_NAMES),
  );
}

/** Splits argv into global options, the command and the command's own arguments. */
export function splitCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): Invocation {
  const globals: GlobalFlags = {
    verbosity: 0,
    debug: false,
    debugRequests: false,
    help: false,
    version: false,
    quiet: false,
  };
  const words: string[] = [];
  let index = 0;

  while (index < argv.length && words.length < 2) {
    const used = takeGlobal(argv, index, globals);
    if (used > 0) {
      index += used;
      continue;
    }

    const arg = argv[index] ?? '';
    if (arg === '--' && words.length === 0) {
      index += 1;
      continue;
    }
    if (arg.startsWith('-') && words.length === 0) throw unknownGlobalOption(arg);
    if (arg.startsWith('-')) break;

    words.push(arg);
    index += 1;
  }

  if (words.length === 0) return { globals, command: undefined, rest: argv.slice(index) };

  const { command, used } = resolveCommand(words, commands);
  const rest = [...words.slice(used)];
  collectCommandArgs(argv.slice(index), command, globals, rest);

  return { globals, command, rest };
}

function findOption(spec: CommandSpec, arg: string): OptionSpec | undefined {
  if (arg.startsWith('--')) return spec.options.find((option) => `--${option.name}` === arg);

  return spec.options.find((option) => option.short !== undefined && `-${option.short}` === arg.slice(0, 2));
}

/** Moves globals out of `args` and normalises the command's options to `--name=value`. */
function collectCommandArgs(args: readonly string[], spec: CommandSpec, globals: GlobalFlags, out: string[]) {
  const seen = new Set<string>();
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (arg === '--') {
      out.push(...args.slice(index));
      return;
    }

    const used = takeGlobal(args, index, globals);
    if (used > 0) {
      index += used - 1;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.push(arg);
      continue;
    }

    const [name, inline] = arg.startsWith('--') ? splitInline(arg) : [arg, undefined];
    const option = findOption(spec, name);
    if (option === undefined) throw unknownOption(spec, name);
    if (option.type === 'boolean') {
      if (inline !== undefined) throw new AtsAuthError('ERR_USAGE', `Option --${option.name} takes no value: remove "=${inline}"`);
      out.push(`--${option.name}`);
      continue;
    }

    const shortValue = name.startsWith('--') ? undefined : name.slice(2) || undefined;
    const value = inline ?? shortValue ?? args[index + 1];
    if (value === undefined) {
      throw new AtsAuthError('ERR_USAGE', `Option --${option.name} needs a value: --${option.name} ${option.metavar ?? 'VALUE'}`);
    }
    if (inline === undefined && shortValue === undefined) index += 1;

    // util.parseArgs keeps the last of two values silently; two values are a mistake.
    if (option.multiple !== true && seen.has(option.name)) {
      throw new AtsAuthError('ERR_USAGE', `Option --${option.name} is given twice: give it once`);
    }
    seen.add(option.name);
    out.push(`--${option.name}=${value}`);
  }
}

function unknownOption(spec: CommandSpec, name: string): UnknownCommandError {
  const known = [...spec.options.map((option) => `--${option.name}`), ...GLOBAL_OPTION_NAMES];
  const where = commandName(spec);

  return new UnknownCommandError(
    `'${name}' is not an option of '${where}'. See '${PROGRAM} help ${where}'.`,
    closestNames(name, known),
  );
}

/** Parses a command's normalised arguments; enforces choices and positional counts. */
export function parseCommandArgs(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const option of spec.options) {
    options[option.name] = option.multiple === true ? { type: option.type, multiple: true } : { type: option.type };
  }

  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });

  for (const option of spec.options) {
    const value = values[option.name];
    if (option.choices === undefined || typeof value !== 'string') continue;
    if (!option.choices.includes(value)) {
      throw new AtsAuthError('ERR_USAGE', `Invalid value "${value}" for --${option.name}: choose one of ${option.choices.join(', ')}`);
    }
  }

  const required = spec.positionals.filter((positional) => positional.optional !== true).length;
  if (positionals.length < required) {
    const missing = spec.positionals[positionals.length]?.name ?? 'argument';
    throw new AtsAuthError('ERR_USAGE', `Missing ${missing} for '${commandName(spec)}': see '${PROGRAM} help ${commandName(spec)}'`);
  }
  const variadic = spec.positionals.at(-1)?.variadic === true;
  if (!variadic && positionals.length > spec.positionals.length) {
    // The extra words are not shown: an unquoted password with a space ends up here.
    const expected = spec.positionals.map((positional) => positional.name.toUpperCase()).join(' ') || 'none';
    throw new AtsAuthError(
      'ERR_USAGE',
      `Too many arguments for '${commandName(spec)}': ${positionals.length} given, expected ` +
        `${expected}; quote a value that contains spaces`,
    );
  }

  return { values: values as ParsedArgs['values'], positionals };
}
