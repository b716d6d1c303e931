/**
 * The implementation of the `server` command. Its description is in command-specs.ts,
 * which loads this module only when the command runs.
 */

import type { CommandContext, ParsedArgs } from '../cli/command.ts';
import { loadServerConfig } from './config.ts';
import { createServerLog } from './log.ts';
import type { ServerLog } from './log.ts';
import { startServer } from './server.ts';
import type { RunningServer } from './server.ts';
import { formatConfigDefaults } from './variables.ts';

function waitForAbort(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);

  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

/**
 * Exits at once on a second SIGINT or SIGTERM during the shutdown, after logging how many
 * requests that drops. Prepended, so that it runs before the CLI's own signal handler.
 */
function exitOnSecondSignal(log: ServerLog, running: RunningServer): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    const count = running.inFlightRequests;
    log.warning(
      `Received ${signal} again: exiting now and dropping ${count} ` +
        `request${count === 1 ? '' : 's'} in flight`,
    );
    log.flush();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.prependListener('SIGINT', onSignal);
  process.prependListener('SIGTERM', onSignal);

  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

async function runServer(context: CommandContext): Promise<number> {
  const config = loadServerConfig(context.env);
  const log = createServerLog({ json: config.logJson, stream: context.stderr });
  const running = await startServer(config, log);

  const reason = await waitForAbort(context.signal);
  log.info(`Stopping on ${typeof reason === 'string' ? reason : 'request'}`);
  const stopWatching = exitOnSecondSignal(log, running);
  try {
    await running.close();
  } finally {
    stopWatching();
  }

  return 0;
}

/** Runs `server`: prints the configuration defaults, or serves until SIGINT or SIGTERM. */
export async function runServerCommand(context: CommandContext, args: ParsedArgs) {
  if (args.values['write-config-defaults'] === true) {
    context.stdout.write(formatConfigDefaults());
    return 0;
  }

  return runServer(context);
}
