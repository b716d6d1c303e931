/**
 * Every command of the CLI, in one list that the parser, the help and the completion
 * scripts read. The list contains the commands' descriptions, and each `run` imports the
 * modules that do the work, so that a command loads only what it uses: `help` loads
 * neither node:crypto nor the server.
 */

import { AtsAuthError } from '../errors.ts';
import { serverCommands } from '../server/command-specs.ts';
import type { CommandSpec } from './command.ts';
import { tokenDecode, tokenVerify } from './commands/inspect-specs.ts';
import { tokenCreate, tokenRevoke, tokenRevokeAll } from './commands/token-specs.ts';
import { PROGRAM, commandName, formatCommandHelp, formatMainHelp } from './help.ts';

const help: CommandSpec = {
  words: ['help'],
  summary: 'print detailed help for another command',
  options: [],
  positionals: [{ name: 'cmd', help: 'name of the command', optional: true, variadic: true }],
  async run(context, args) {
    const words = args.positionals;
    if (words.length === 0) {
      context.stdout.write(formatMainHelp(commands));
      return 0;
    }

    const typed = words.join(' ');
    const exact = commands.find((spec) => commandName(spec) === typed);
    if (exact !== undefined) {
      context.stdout.write(formatCommandHelp(exact));
      return 0;
    }

    const matches = commands.filter((spec) => commandName(spec).startsWith(typed));
    if (matches.length === 0) {
      throw new AtsAuthError('ERR_USAGE', `Unknown command '${typed}': see '${PROGRAM} help' for the list`);
    }
    const names = matches.map((spec) => `  ${commandName(spec)}`).sort();
    context.stdout.write(`Command "${typed}" matches:\n${names.join('\n')}\n`);

    return 0;
  },
};

const complete: CommandSpec = {
  words: ['complete'],
  summary: 'print bash completion command',
  options: [
    { name: 'name', type: 'string', metavar: 'NAME', help: 'command name to complete (default: ats-auth)' },
    {
      name: 'shell',
      type: 'string',
      choices: ['bash', 'zsh', 'fish', 'none'],
      help: 'shell to complete for; none prints the command tree (default: bash)',
    },
  ],
  positionals: [],
  epilog: `Load the script in the current shell:
  bash: source <(ats-auth complete)
  zsh:  source <(ats-auth complete --shell zsh)   (after compinit)
  fish: ats-auth complete --shell fish | source`,
  async run(context, args) {
    const name = typeof args.values['name'] === 'string' ? args.values['name'] : PROGRAM;
    if (!/^[A-Za-z0-9_.+][A-Za-z0-9_.+-]*$/.test(name)) {
      throw new AtsAuthError('ERR_USAGE', `Invalid --name "${name}": use letters, digits, ".", "_", "+" or "-"`);
    }

    const { bashCompletion, fishCompletion, plainCompletion, zshCompletion } = await import(
      './completion.ts'
    );
    const shell = args.values['shell'] ?? 'bash';
    if (shell === 'bash') context.stdout.write(bashCompletion(name, commands));
    else if (shell === 'zsh') context.stdout.write(zshCompletion(name, commands));
    else if (shell === 'fish') context.stdout.write(fishCompletion(name, commands));
    else context.stdout.write(plainCompletion(commands));

    return 0;
  },
};

export const commands: readonly CommandSpec[] = [
  complete,
  help,
  tokenCreate,
  tokenDecode,
  tokenRevoke,
  tokenRevokeAll,
  tokenVerify,
  ...serverCommands,
];
