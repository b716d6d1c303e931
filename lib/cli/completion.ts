/**
 * Shell completion scripts for bash, zsh and fish. They are generated from the command
 * declarations, so they never drift from the parser. Each completes command words by
 * unique prefix, each command's options, file names after options that take a path, and
 * the listed choices of an option.
 */

import type { CommandSpec } from './command.ts';
import { childWords, groupPaths, shellQuote, toCompletionOption } from './completion/commands.ts';

export { bashCompletion } from './completion/bash.ts';
export { completionFunctionName } from './completion/commands.ts';
export { fishCompletion } from './completion/fish.ts';
export { zshCompletion } from './completion/zsh.ts';

/**
 * Formats the command tree in the form of cliff's `complete --shell none`: one `cmds_PATH='...'`
 * line per group and command, listing the words that may follow.
 */
export function plainCompletion(commands: readonly CommandSpec[]): string {
  const lines = groupPaths(commands).map((path) => {
    const key = path.length === 0 ? 'cmds' : `cmds_${path.join('_').replaceAll('-', '_')}`;
    return `  ${key}=${shellQuote(childWords(commands, path).join(' '))}`;
  });
  for (const spec of commands) {
    const words = ['-h', '--help', ...spec.options.map(toCompletionOption).flatMap((o) => o.words)];
    lines.push(
      `  cmds_${spec.words.join('_').replaceAll('-', '_')}=${shellQuote(words.join(' '))}`,
    );
  }

  return `${lines.join('\n')}\n`;
}
