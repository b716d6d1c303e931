/**
 * Failure reports of the CLI: one line on stderr as cliff writes it, the stack too with
 * --debug, and one JSON line for callers that requested `-f json`.
 */

import { AtsAuthError, interruptionError } from '../errors.ts';
import { PROGRAM } from './help.ts';
import type { Logger } from './logger.ts';

/** Writes a failure the way cliff does: one line, or the stack too with --debug. */
export function reportError(error: unknown, log: Logger, debug: boolean): void {
  if (error instanceof AtsAuthError) {
    log.error(`${PROGRAM}: error: ${error.message}`);
  } else {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log.error(`${PROGRAM}: error: unexpected failure: ${detail}; rerun with --debug for the trace`);
  }

  if (debug && error instanceof Error && error.stack !== undefined) log.error(error.stack);
}

/** Returns whether the options before `--` request `-f json`, in any spelling parsed. */
export function requestsJsonOutput(args: readonly string[]): boolean {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    if (arg === '--') return false;
    if (arg === '--format=json' || arg === '-fjson') return true;
    if ((arg === '-f' || arg === '--format') && args[index + 1] === 'json') return true;
  }

  return false;
}

/**
 * Formats an error as one JSON line for `-f json` callers:
 * `{"error": {"code": "ERR_...", "message": "...", "exit_status": N}}`.
 */
export function formatErrorJson(error: unknown, exitStatus: number): string {
  const code = error instanceof AtsAuthError ? error.code : 'ERR_UNEXPECTED';
  let message = String(error);
  if (error instanceof AtsAuthError) message = error.message;
  else if (error instanceof Error) message = `${error.name}: ${error.message}`;

  return JSON.stringify({ error: { code, message, exit_status: exitStatus } });
}

/** Maps parseArgs usage errors and aborts to AtsAuthError; keeps other errors as they are. */
export function normaliseError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof AtsAuthError) return error;
  if (signal.aborted) return interruptionError(signal.reason, { cause: error });

  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    return new AtsAuthError('ERR_USAGE', (error as Error).message, { cause: error });
  }

  return error;
}
