/**
 * The CLI's entry: splits the command line, sets up logging, runs the command and turns
 * what it threw into one line on stderr and an exit status.
 */

import packageJson from '../../package.json' with { type: 'json' };
import { maskTokens } from '../client/redact.ts';
import { AtsAuthError, exitStatusFor } from '../errors.ts';
import { escapeForTerminal } from '../format/terminal.ts';
import { describeSystemError } from '../system-errors.ts';
import { UnknownCommandError, parseCommandArgs, splitCommandLine } from './argv.ts';
import type { CommandContext, CommandSpec, GlobalOptions } from './command.ts';
import {
  formatErrorJson,
  normaliseError,
  reportError,
  requestsJsonOutput,
} from './failure-output.ts';
import { PROGRAM, formatCommandHelp, formatMainHelp } from './help.ts';
import { createLogger } from './logger.ts';
import type { Logger } from './logger.ts';

export const VERSION: string = packageJson.version;

/** Streams and environment the CLI runs with; tests and the entry script supply them. */
export type CliIo = Pick<CommandContext, 'env' | 'stdin' | 'stdout' | 'stderr'>;

/**
 * Ends the process quietly when a reader closes the stream early, as `| head` does: what
 * is left to write has no reader, so it is no error. Other write errors end with status 1.
 */
function handleWriteErrors(stream: NodeJS.WriteStream, name: string): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);

    // A full disk or a closed terminal: report it once, on the stream that still works.
    const message = `${PROGRAM}: error: Cannot write to ${name}: ${describeSystemError(error)}\n`;
    if (stream !== process.stderr) process.stderr.write(message);
    process.exit(1);
  });
}

function processIo(): CliIo {
  handleWriteErrors(process.stdout, 'standard output');
  handleWriteErrors(process.stderr, 'standard error');

  return {
    env: process.env,
    // Node creates the stdin stream on the first read of process.stdin, which loads the
    // stream modules, so a getter leaves that cost to the commands that read stdin.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
  };
}

/**
 * Writes a message that may quote the command line, before the logger exists. A mistyped
 * line can hold a token, so tokens are masked and control characters escaped, as the
 * logger does for its records.
 */
function writeStderr(io: CliIo, text: string): void {
  io.stderr.write(`${escapeForTerminal(maskTokens(text))}\n`);
}

function reportUnknownCommand(error: UnknownCommandError, io: CliIo): void {
  const lines = [`${PROGRAM}: ${error.message}`];
  if (error.suggestions.length > 0) {
    lines.push('Did you mean one of these?', ...error.suggestions.map((name) => `  ${name}`));
  }
  writeStderr(io, lines.join('\n'));
}

/** Aborts on SIGINT and SIGTERM; a second signal ends the process at once. */
function watchSignals(controller: AbortController): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const versionIndex = argv.indexOf('--version');
  const endOfOptions = argv.indexOf('--');
  if (versionIndex >= 0 && (endOfOptions < 0 || versionIndex < endOfOptions)) {
    io.stdout.write(`${PROGRAM} ${VERSION}\n`);
    return 0;
  }

  const { commands } = await import('./registry.ts');
  let invocation;
  try {
    invocation = splitCommandLine(argv, commands);
  } catch (error) {
    if (error instanceof UnknownCommandError) reportUnknownCommand(error, io);
    else writeStderr(io, `${PROGRAM}: error: ${(error as Error).message}`);
    if (requestsJsonOutput(argv)) writeStderr(io, formatErrorJson(error, 2));

    return 2;
  }

  const { globals, command, rest } = invocation;
  if (command === undefined) {
    (globals.help ? io.stdout : io.stderr).write(formatMainHelp(commands));
    return globals.help ? 0 : 2;
  }
  if (globals.help) {
    io.stdout.write(formatCommandHelp(command));
    return 0;
  }
  if (globals.quiet && globals.verbosity > 0) {
    const message = '-v and -q exclude each other: use one of them';
    writeStderr(io, `${PROGRAM}: error: ${message}`);
    if (requestsJsonOutput(rest)) writeStderr(io, formatErrorJson(new AtsAuthError('ERR_USAGE', message), 2));

    return 2;
  }

  let log: Logger;
  try {
    log = createLogger({
      verbosity: globals.quiet ? -1 : globals.verbosity,
      stderr: io.stderr,
      ...(globals.logFile === undefined ? {} : { logFile: globals.logFile }),
    });
  } catch (error) {
    writeStderr(io, `${PROGRAM}: error: ${(error as Error).message}`);
    return exitStatusFor(error);
  }

  return runCommand(command, rest, io, log, globals);
}

/**
 * Builds the context a command runs with. It passes stdin on through a getter rather than
 * a spread of `io`, because a spread reads io.stdin, which creates the stream.
 */
function createCommandContext(
  io: CliIo,
  log: Logger,
  globals: GlobalOptions,
  signal: AbortSignal,
): CommandContext {
  return {
    log,
    globals,
    env: io.env,
    get stdin() {
      return io.stdin;
    },
    stdout: io.stdout,
    stderr: io.stderr,
    signal,
  };
}

async function runCommand(
  command: CommandSpec,
  rest: readonly string[],
  io: CliIo,
  log: Logger,
  globals: GlobalOptions,
): Promise<number> {
  const controller = new AbortController();
  const stopWatching = watchSignals(controller);

  try {
    const args = parseCommandArgs(command, rest);

    return await command.run(createCommandContext(io, log, globals, controller.signal), args);
  } catch (error) {
    const failure = normaliseError(error, controller.signal);
    const status = exitStatusFor(failure, command.detailedExitStatus === true);
    reportError(failure, log, globals.debug);
    // The JSON line comes last on stderr, so that `tail -n 1` finds it after any log lines.
    if (requestsJsonOutput(rest)) log.error(formatErrorJson(failure, status));

    return status;
  } finally {
    stopWatching();
  }
}
