/**
 * Calls to the ats.auth HTTP API: login, logout of one token, logout of every token of a
 * user. Each maps the server's response to a result or an AtsAuthError.
 */

import { AtsAuthError } from '../errors.ts';
import { escapeLine } from '../format/terminal.ts';
import { sendRequest } from './http.ts';
import type { HttpOptions, HttpResponse } from './http.ts';

/** Proof of the caller's identity for `logout_all`: a token or a password. */
export type Credentials =
  | { kind: 'token'; token: string }
  | { kind: 'password'; username: string; password: string };

function endpoint(serverUrl: URL, path: string): URL {
  return new URL(path, serverUrl);
}

function readServerMessage(response: HttpResponse): string {
  try {
    const parsed: unknown = JSON.parse(response.body);
    if (parsed !== null && typeof parsed === 'object' && Object.hasOwn(parsed, 'message')) {
      const message = (parsed as { message: unknown }).message;
      if (typeof message === 'string') return escapeLine(message.slice(0, 200));
    }
  } catch {
    // A body that is not JSON is not shown: it may be an HTML error page.
  }

  return response.statusText;
}

/** Builds the error for a response other than the expected success status. */
function unexpectedAnswer(response: HttpResponse, action: string, url: URL): AtsAuthError {
  const message = readServerMessage(response);
  if (response.status === 401) {
    return new AtsAuthError('ERR_BAD_CREDENTIALS', `${action} refused by ${url.origin}: ${message}`);
  }
  if (response.status === 403) {
    return new AtsAuthError('ERR_FORBIDDEN', `${action} forbidden by ${url.origin}: ${message}`);
  }
  if (response.status === 429) {
    const retryAfter = response.headers.get('retry-after') ?? 'a while';
    return new AtsAuthError(
      'ERR_RATE_LIMITED',
      `${action} refused by ${url.origin}: too many failed attempts, retry after ${retryAfter} s`,
    );
  }

  return new AtsAuthError(
    'ERR_SERVER',
    `${action} failed: ${url.origin} answered ${response.status} ${message}; check the server URL and its log`,
  );
}

/** Logs in and returns the token the server issued. */
export async function login(
  serverUrl: URL,
  username: string,
  password: string,
  options: HttpOptions,
): Promise<string> {
  const url = endpoint(serverUrl, 'user/login');
  const response = await sendRequest(
    {
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    },
    options,
  );
  if (response.status === 401) {
    throw new AtsAuthError(
      'ERR_BAD_CREDENTIALS',
      `Login failed for user ${JSON.stringify(username)}: invalid username or password`,
    );
  }
  if (response.status !== 200) throw unexpectedAnswer(response, 'Login', url);

  return readToken(response, url);
}

function readToken(response: HttpResponse, url: URL): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    parsed = undefined;
  }

  if (parsed !== null && typeof parsed === 'object' && Object.hasOwn(parsed, 'token')) {
    const token = (parsed as { token: unknown }).token;
    if (typeof token === 'string' && token !== '') return token;
  }

  throw new AtsAuthError(
    'ERR_SERVER',
    `Login answer from ${url.origin} holds no token: check that server_url points to ats.auth`,
  );
}

/** Revokes one token. */
export async function logout(serverUrl: URL, token: string, options: HttpOptions): Promise<void> {
  const url = endpoint(serverUrl, 'user/logout');
  const response = await sendRequest(
    { method: 'POST', url, headers: { Authorization: `Bearer ${token}` } },
    options,
  );

  if (response.status !== 204 && response.status !== 200) {
    throw unexpectedAnswer(response, 'Token revocation', url);
  }
}

function authorizationHeader(credentials: Credentials): string {
  if (credentials.kind === 'token') return `Bearer ${credentials.token}`;

  const pair = `${credentials.username}:${credentials.password}`;

  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/** Revokes every token of `user` issued up to now. */
export async function logoutAll(
  serverUrl: URL,
  user: string,
  credentials: Credentials,
  options: HttpOptions,
): Promise<void> {
  const url = endpoint(serverUrl, 'user/logout_all');
  const response = await sendRequest(
    {
      method: 'POST',
      url,
      headers: { Authorization: authorizationHeader(credentials), 'X-Auth-UserId': user },
    },
    options,
  );

  if (response.status !== 204 && response.status !== 200) {
    throw unexpectedAnswer(response, `Revoking the tokens of ${JSON.stringify(user)}`, url);
  }
}
