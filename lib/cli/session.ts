/**
 * Shared parts of the network commands: the client configuration, logged as the original
 * client did, HTTP options from the command line, and credentials from their sources.
 */

import type { ClientConfig } from '../config/client-config.ts';
import { loadClientConfig } from '../config/client-config.ts';
import type { HttpOptions } from '../client/http.ts';
import { trustCaFile, useProxyFromEnv } from '../client/transport.ts';
import { AtsAuthError } from '../errors.ts';
import { MAX_TOKEN_LENGTH } from '../jwt/jws.ts';
import type { CommandContext, ParsedArgs } from './command.ts';
import { obtainPassword, readFirstLine } from './prompt.ts';
import { DEFAULT_TIMEOUT_SECONDS } from './session-options.ts';
import { parseSeconds } from './time-options.ts';

/**
 * Returns the token named by a positional: the text, `-` for standard input, or
 * ATS_AUTH_TOKEN when the positional is absent.
 */
export async function readTokenArgument(context: CommandContext, value: string | undefined): Promise<string> {
  let token = value;
  if (value === '-') {
    // Room for the longest token the codec accepts plus a CRLF, so the codec names the limit.
    token = await readFirstLine(context.stdin, 'token', MAX_TOKEN_LENGTH + 2);
    if (token.trim() === '') {
      throw new AtsAuthError('ERR_USAGE', 'Missing token: standard input is empty; write the token there');
    }
  } else if (value === undefined) {
    token = context.env['ATS_AUTH_TOKEN'];
  }

  if (token === undefined || token.trim() === '') {
    throw new AtsAuthError('ERR_USAGE', 'Missing token: pass TOKEN, - to read standard input, or set ATS_AUTH_TOKEN');
  }

  return token.trim();
}

/** Loads the client configuration and logs which file was read and any warning. */
export function loadSessionConfig(context: CommandContext): ClientConfig {
  const config = loadClientConfig(context.globals.config, context.env);
  context.log.debug(`Configuration file: ${config.path ?? 'none'}`);
  for (const warning of config.warnings) context.log.warning(warning);
  if (config.jwtSecret !== undefined) context.log.addSecret(config.jwtSecret);

  return config;
}

/** Trusts the CA file named by --ca-file, ATS_AUTH_CA_FILE or the ini file, if any. */
function trustConfiguredCa(context: CommandContext, args: ParsedArgs, config: ClientConfig | undefined) {
  const option = args.values['ca-file'];
  const variable = context.env['ATS_AUTH_CA_FILE'];
  if (typeof option === 'string') trustCaFile(option, '--ca-file');
  else if (variable) trustCaFile(variable, 'ATS_AUTH_CA_FILE');
  else if (config?.caFile !== undefined) trustCaFile(config.caFile, config.path ?? 'the configuration file');
}

/**
 * HTTP options for this run: time limit, request trace, abort on Ctrl-C. Also sets up
 * the process's trusted CAs and proxy, which fetch reads.
 */
export function httpOptionsFor(context: CommandContext, args: ParsedArgs, config?: ClientConfig): HttpOptions {
  trustConfiguredCa(context, args, config);
  if (useProxyFromEnv(context.env)) context.log.debug('Using the proxy from HTTP_PROXY/HTTPS_PROXY');

  const option = args.values['timeout'];
  const variable = context.env['ATS_AUTH_TIMEOUT'];
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (typeof option === 'string') timeoutSeconds = parseSeconds(option, '--timeout');
  else if (variable) timeoutSeconds = parseSeconds(variable, 'ATS_AUTH_TIMEOUT');

  const options: HttpOptions = { timeoutSeconds, signal: context.signal };
  if (config !== undefined) options.urlSource = config.serverUrlSource;
  if (context.globals.debugRequests) options.trace = (line) => context.log.trace(line);

  return options;
}

/**
 * Returns the password from --password, --password-stdin, OS_PASSWORD or the terminal
 * prompt, in that order.
 */
export async function resolvePassword(context: CommandContext, args: ParsedArgs, username: string) {
  const option = args.values['password'];
  const fromStdin = args.values['password-stdin'] === true;
  if (typeof option === 'string' && fromStdin) {
    throw new AtsAuthError('ERR_USAGE', 'Options --password and --password-stdin exclude each other: use one');
  }

  let password: string;
  if (typeof option === 'string') {
    context.log.warning('A password on the command line is visible to other users: prefer --password-stdin');
    password = option;
  } else if (!fromStdin && context.env['OS_PASSWORD']) {
    password = context.env['OS_PASSWORD'];
  } else {
    password = await obtainPassword(context, {
      prompt: `Password for user ${username}: `,
      fromStdin,
      otherSources:
        context.env['KUBERNETES_EXEC_INFO'] === undefined
          ? 'use --password-stdin or set OS_PASSWORD'
          : 'set OS_PASSWORD under env: in the kubeconfig exec entry, or use --password-stdin',
    });
  }

  if (password === '') throw new AtsAuthError('ERR_USAGE', 'Invalid password: it is empty');
  context.log.addSecret(password);

  return password;
}

/** Returns a user name from an option or OS_USERNAME; a missing one is a usage error. */
export function resolveUsername(context: CommandContext, value: unknown, optionName: string): string {
  const username = typeof value === 'string' ? value : context.env['OS_USERNAME'];
  if (username === undefined || username === '') {
    throw new AtsAuthError('ERR_USAGE', `Missing user name: pass ${optionName} USERNAME or set OS_USERNAME`);
  }
  if (/[\u0000-\u001f\u007f]/.test(username)) {
    throw new AtsAuthError('ERR_USAGE', `Invalid user name ${JSON.stringify(username)}: it contains control characters`);
  }

  return username;
}
