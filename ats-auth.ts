#!/usr/bin/env node
// ats-auth: client and server of the ats.auth token service. The work is in lib/.
import { main } from './lib/cli/main.ts';

// Node 24 flags node:sqlite as experimental and prints an ExperimentalWarning when the
// server or the user commands load it (Node 26 does not). Only that warning is dropped.
const emitWarning = process.emitWarning;
process.emitWarning = function emitOtherWarnings(warning: string | Error, ...rest: unknown[]) {
  const option = rest[0] as string | { type?: unknown } | undefined;
  const type = typeof option === 'string' ? option : option?.type;
  const text = typeof warning === 'string' ? warning : warning.message;
  if (type === 'ExperimentalWarning' && text.startsWith('SQLite is an experimental')) return;

  Reflect.apply(emitWarning, process, [warning, ...rest]);
} as typeof process.emitWarning;

// No top-level await, because the single executable and the npm package bundle this file
// as CommonJS, which starts faster (reasons in scripts/build-bundle.ts).
main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
