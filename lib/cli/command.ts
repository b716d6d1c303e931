/**
 * The shape of a CLI command: its words, options and positionals drive parsing, help text
 * and shell completion, so each is declared once here and read by all three.
 */

import type { Readable, Writable } from 'node:stream';

import type { Logger } from './logger.ts';

/** One option of a command, in the terms `util.parseArgs` and argparse-style help use. */
export interface OptionSpec {
  /** Long name without the dashes, for example `username`. */
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help, for example `USERNAME`; string options only. */
  metavar?: string;
  help: string;
  multiple?: boolean;
  /** Values offered by shell completion and checked when parsing. */
  choices?: readonly string[];
  /** Completion offers file names for this option. */
  completeFiles?: boolean;
  /** Help section title, for example `output formatters`; default `optional arguments`. */
  group?: string;
}

export interface PositionalSpec {
  name: string;
  help: string;
  optional?: boolean;
  /** Takes every remaining positional; only the last one may be variadic. */
  variadic?: boolean;
}

/** Values of a parsed command line; keys are option names, absent options are missing. */
export interface ParsedArgs {
  values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  positionals: readonly string[];
}

/** Global options, parsed wherever they appear on the command line. */
export interface GlobalOptions {
  verbosity: number;
  logFile?: string;
  debug: boolean;
  config?: string;
  debugRequests: boolean;
}

/** Context of a running command; commands use it instead of touching `process`. */
export interface CommandContext {
  log: Logger;
  globals: GlobalOptions;
  env: Readonly<Record<string, string | undefined>>;
  stdin: Readable & { isTTY?: boolean; fd?: number };
  stdout: Writable;
  stderr: Writable;
  /** Aborted on SIGINT or SIGTERM, so long-running commands can stop cleanly. */
  signal: AbortSignal;
}

export interface CommandSpec {
  /** Command words as typed, for example `['token', 'create']`. */
  words: readonly string[];
  /** One line for the Commands list. */
  summary: string;
  options: readonly OptionSpec[];
  positionals: readonly PositionalSpec[];
  /** Extra help text printed after the options. */
  epilog?: string;
  /** Exit with a status per token failure (3 to 9) instead of 1, as `token verify` does. */
  detailedExitStatus?: boolean;
  /** Runs the command and resolves to its exit status; throws AtsAuthError on failure. */
  run(context: CommandContext, args: ParsedArgs): Promise<number>;
}
