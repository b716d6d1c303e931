/**
 * Descriptions of the `server` command and the `user` commands, which manage the server's
 * accounts on its database: their options and help. Each `run` loads its implementation
 * from commands.ts or user-commands.ts, so that help and completion load no server,
 * SQLite or crypto code.
 */

import type { CommandSpec } from '../cli/command.ts';
import { wrapText } from '../cli/help.ts';
import { LIST_FORMATS, outputOptions } from '../format/output.ts';

const server: CommandSpec = {
  words: ['server'],
  summary: 'Run the ats.auth token server',
  options: [
    {
      name: 'write-config-defaults',
      type: 'boolean',
      help: 'print the environment variables with their defaults as shell export lines and exit',
    },
  ],
  positionals: [],
  epilog:
    'The server is configured by ATSAUTH_* environment variables; --write-config-defaults\n' +
    'lists them. It stops cleanly on SIGINT or SIGTERM.',
  async run(context, args) {
    const { runServerCommand } = await import('./commands.ts');

    return runServerCommand(context, args);
  },
};

const NAME = { name: 'name', help: 'user name' } as const;
const PASSWORD_STDIN = {
  name: 'password-stdin',
  type: 'boolean',
  help: 'read the password from the first line of standard input',
} as const;

const userAdd: CommandSpec = {
  words: ['user', 'add'],
  summary: 'Add a user to the server database',
  options: [
    { name: 'admin', type: 'boolean', help: 'let the user revoke the tokens of any user' },
    PASSWORD_STDIN,
  ],
  positionals: [NAME],
  async run(context, args) {
    const { runUserAdd } = await import('./user-commands.ts');

    return runUserAdd(context, args);
  },
};

const userPasswd: CommandSpec = {
  words: ['user', 'passwd'],
  summary: "Change a user's password and revoke all the user's tokens",
  options: [PASSWORD_STDIN],
  positionals: [NAME],
  async run(context, args) {
    const { runUserPasswd } = await import('./user-commands.ts');

    return runUserPasswd(context, args);
  },
};

const userList: CommandSpec = {
  words: ['user', 'list'],
  summary: 'List the users of the server database',
  options: outputOptions(LIST_FORMATS, 'table'),
  positionals: [],
  epilog: wrapText(
    'Columns for -c: name is the user name, and admin is true for a user who may revoke ' +
      'the tokens of any user.',
    78,
  ).join('\n'),
  async run(context, args) {
    const { runUserList } = await import('./user-commands.ts');

    return runUserList(context, args);
  },
};

const userRemove: CommandSpec = {
  words: ['user', 'remove'],
  summary: "Remove a user and revoke all the user's tokens",
  options: [],
  positionals: [NAME],
  async run(context, args) {
    const { runUserRemove } = await import('./user-commands.ts');

    return runUserRemove(context, args);
  },
};

export const serverCommands: CommandSpec[] = [server, userAdd, userList, userPasswd, userRemove];
