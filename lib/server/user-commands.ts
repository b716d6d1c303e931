/**
 * The implementation of `user add`, `user passwd`, `user list` and `user remove`, whose
 * descriptions are in command-specs.ts: account management on the server host, on the
 * database named by ATSAUTH_DB. A running server picks up the revocations these commands
 * make within a second.
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { obtainPassword } from '../cli/prompt.ts';
import type { CommandContext, ParsedArgs } from '../cli/command.ts';
import { AtsAuthError } from '../errors.ts';
import { formatList, readOutputSettings, selectColumns } from '../format/output.ts';
import {
  checkIntegrity,
  isSqliteError,
  openDatabase,
  runTransaction,
  toStoreError,
} from '../store/db.ts';
import type { Store } from '../store/db.ts';
import { revokeAllTokensOf } from '../store/revocations.ts';
import { UserStore, assertValidUsername, nameTakenError } from '../store/users.ts';
import { hashPassword } from '../users/password.ts';
import { readInteger } from './config.ts';
import { defaultOf } from './variables.ts';

/** The access a command needs: `create` may make a new file, and `read` only reads. */
type Access = 'create' | 'write' | 'read';

/**
 * Opens the database named by ATSAUTH_DB. Only `create` makes a new file, so that a
 * mistyped path fails instead of showing an empty user list. `read` opens it read-only,
 * so that listing works on a database in a read-only directory.
 */
function openUserDatabase(context: CommandContext, access: Access): Store {
  const path = context.env['ATSAUTH_DB'] || defaultOf('ATSAUTH_DB');
  if (access !== 'create' && !existsSync(path)) {
    throw new AtsAuthError(
      'ERR_NOT_FOUND',
      `Database not found: ${resolve(path)}: set ATSAUTH_DB to the server's database, ` +
        'or create it with "user add"',
    );
  }

  const busyTimeoutMs = readInteger(context.env, 'ATSAUTH_DB_BUSY_TIMEOUT_MS', 0, 600_000);

  const store = openDatabase(path, { busyTimeoutMs, readOnly: access === 'read' });
  // A damaged database fails here with the fix, before a write can spread the damage.
  try {
    checkIntegrity(store);
  } catch (error) {
    store.db.close();
    throw error;
  }

  return store;
}

/**
 * Runs `work` on the database, then closes the database, also when `work` throws. SQLite
 * errors, such as a damaged page found only now, become ERR_STORE naming the file.
 */
async function withUsers<T>(
  context: CommandContext,
  work: (store: Store, users: UserStore) => Promise<T>,
  access: Access = 'write',
): Promise<T> {
  const store = openUserDatabase(context, access);
  try {
    return await work(store, new UserStore(store.db));
  } catch (error) {
    throw isSqliteError(error) ? toStoreError(error, store.path) : error;
  } finally {
    store.db.close();
  }
}

function nameArgument(args: ParsedArgs): string {
  const name = args.positionals[0] ?? '';
  assertValidUsername(name);

  return name;
}

/** Builds the not-found error, naming a user whose name differs only in case or form. */
function notFound(name: string, users?: UserStore): AtsAuthError {
  const similar = users?.findSimilarName(name);
  const hint = similar === undefined ? '"user list" shows the users' : `did you mean ${similar}? Names are case-sensitive`;

  return new AtsAuthError('ERR_NOT_FOUND', `No user ${name}: ${hint}`);
}

async function readNewPassword(context: CommandContext, args: ParsedArgs, name: string) {
  const password = await obtainPassword(context, {
    prompt: `New password for user ${name}: `,
    fromStdin: args.values['password-stdin'] === true,
    confirm: true,
  });

  return hashPassword(password);
}

/** Revokes every token of `name` in the current transaction, whatever lifetime they had. */
function revokeAll(context: CommandContext, store: Store, name: string): void {
  const ttlSeconds = readInteger(context.env, 'ATSAUTH_TOKEN_TTL', 1, 366 * 86_400);
  revokeAllTokensOf(store.db, name, ttlSeconds * 1e6);
}

/** Runs `user add`, which reads the new user's password from the terminal or stdin. */
export function runUserAdd(context: CommandContext, args: ParsedArgs) {
  return withUsers(context, async (store, users) => {
    const name = nameArgument(args);
    // Checked before the password prompt too, so that a taken name fails before typing.
    const existing = users.findSimilarName(name);
    if (existing !== undefined) throw nameTakenError(name, existing);

    const isAdmin = args.values['admin'] === true;
    const passwordHash = await readNewPassword(context, args, name);
    runTransaction(store, () => users.add({ name, passwordHash, isAdmin }));
    context.log.info(`User ${name} added${isAdmin ? ' as an administrator' : ''}.`);

    return 0;
  }, 'create');
}

/** Runs `user passwd`, which revokes the user's tokens in the same transaction. */
export function runUserPasswd(context: CommandContext, args: ParsedArgs) {
  return withUsers(context, async (store, users) => {
    const name = nameArgument(args);
    if (users.find(name) === undefined) throw notFound(name, users);

    const passwordHash = await readNewPassword(context, args, name);
    runTransaction(store, () => {
      if (!users.setPasswordHash(name, passwordHash)) throw notFound(name);
      revokeAll(context, store, name);
    });
    context.log.info(`Password of ${name} changed; all tokens of ${name} revoked.`);

    return 0;
  });
}

/** Columns of `user list`, in display order. */
const USER_COLUMNS = ['name', 'admin'];

/** Runs `user list`, which opens the database read-only. */
export function runUserList(context: CommandContext, args: ParsedArgs) {
  const settings = readOutputSettings(args, 'table');
  // Check -c before opening the database, so that an unknown column is a usage error
  // (exit status 2) even when ATSAUTH_DB is wrong as well.
  selectColumns(settings.columns, USER_COLUMNS, USER_COLUMNS);

  return withUsers(
    context,
    async (_store, users) => {
      const rows = users.list().map((user) => [user.name, user.isAdmin]);
      context.stdout.write(formatList(USER_COLUMNS, rows, settings));

      return 0;
    },
    'read',
  );
}

/** Runs `user remove`, which revokes the user's tokens in the same transaction. */
export function runUserRemove(context: CommandContext, args: ParsedArgs) {
  return withUsers(context, async (store, users) => {
    const name = nameArgument(args);
    runTransaction(store, () => {
      if (!users.remove(name)) throw notFound(name, users);
      revokeAll(context, store, name);
    });
    context.log.info(`User ${name} removed; all tokens of ${name} revoked.`);

    return 0;
  });
}
