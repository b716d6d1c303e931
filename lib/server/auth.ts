/**
 * Caller authentication: password checks, throttled per user and per address, and the rule
 * for POST /user/logout_all, where only the user, an administrator or a trusted proxy may
 * revoke a user's tokens. Credentials a request presents are checked even when it comes
 * from a trusted proxy.
 */

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

import { AtsAuthError } from '../errors.ts';
import { isValidUsername } from '../store/users.ts';
import type { UserRecord } from '../store/users.ts';
import { verifyPassword } from '../users/password.ts';
import { RateLimitedError, decodeBasicCredentials, readAuthorization } from './http.ts';
import type { Services } from './services.ts';

/** Returns the peer address without the IPv6 prefix Node gives IPv4 clients. */
export function remoteAddressOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';

  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function isTrustedProxy(services: Services, address: string): boolean {
  if (address === '') return false;

  return services.trustedProxies.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

/**
 * Returns the address to throttle logins by: the peer, or for a request relayed by a
 * trusted proxy, the last address that proxy appended to X-Forwarded-For. Behind a proxy,
 * throttling the peer would lock out every user at once.
 */
export function clientAddressOf(services: Services, req: IncomingMessage): string {
  const peer = remoteAddressOf(req);
  const forwarded = req.headers['x-forwarded-for'];
  if (typeof forwarded !== 'string' || !isTrustedProxy(services, peer)) return peer;

  const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();

  return isIP(last) === 0 ? peer : last;
}

/**
 * Returns the user when `password` is theirs. Throws ERR_RATE_LIMITED while the user or
 * the address must wait, and ERR_BAD_CREDENTIALS otherwise. An unknown user and a wrong
 * password get the same error after the same Argon2id work, so that neither the response
 * nor its timing reveals whether the user exists.
 */
export async function verifyCredentials(
  services: Services,
  username: string,
  password: string,
  address: string,
): Promise<UserRecord> {
  const waitSeconds = services.throttle.begin(username, address);
  if (waitSeconds > 0) throw new RateLimitedError(waitSeconds);

  const user = isValidUsername(username) ? services.users.find(username) : undefined;
  const matches = await verifyPassword(password, user?.passwordHash ?? services.dummyPasswordHash);
  if (user === undefined || !matches) {
    throw new AtsAuthError('ERR_BAD_CREDENTIALS', 'Invalid username or password');
  }

  services.throttle.succeed(username, address);

  return user;
}

/**
 * Returns the user a Bearer token or Basic credentials prove the caller to be, or
 * undefined when the request carries no Authorization header. Throws ERR_BAD_CREDENTIALS
 * or a token error for credentials that do not check out, also from a trusted proxy.
 */
export async function authenticateCaller(
  services: Services,
  req: IncomingMessage,
): Promise<string | undefined> {
  const authorization = readAuthorization(req);
  if (authorization === undefined) return undefined;

  if (authorization.scheme === 'bearer') {
    return services.tokens.check(authorization.credentials).sub;
  }

  if (authorization.scheme === 'basic') {
    const { user, password } = decodeBasicCredentials(authorization.credentials);
    const address = clientAddressOf(services, req);
    const record = await verifyCredentials(services, user, password, address);

    return record.name;
  }

  throw new AtsAuthError(
    'ERR_BAD_CREDENTIALS',
    `Unsupported authorization scheme ${JSON.stringify(authorization.scheme.slice(0, 20))}: ` +
      'send a Bearer token or Basic credentials',
  );
}

/**
 * Returns when `caller`, from authenticateCaller(), may revoke every token of `target`:
 * the caller is `target` or an administrator, or the request comes from a trusted proxy.
 * Throws ERR_BAD_CREDENTIALS (401) when the caller is not authenticated and ERR_FORBIDDEN
 * (403) for anyone else.
 */
export function authorizeLogoutAll(
  services: Services,
  req: IncomingMessage,
  caller: string | undefined,
  target: string,
): void {
  // A trusted gateway has authenticated the user itself and names them in X-Auth-UserId.
  if (isTrustedProxy(services, remoteAddressOf(req))) return;

  if (caller === undefined) {
    throw new AtsAuthError(
      'ERR_BAD_CREDENTIALS',
      'Missing credentials: send a Bearer token or Basic credentials of the user or an ' +
        'administrator',
    );
  }
  if (caller === target) return;
  if (services.users.find(caller)?.isAdmin === true) return;

  throw new AtsAuthError(
    'ERR_FORBIDDEN',
    `User ${caller} may not revoke the tokens of ${target}: only that user, an administrator ` +
      'or a trusted proxy may',
  );
}
