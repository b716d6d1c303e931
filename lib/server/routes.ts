/**
 * The ats.auth HTTP API: the four routes, and the dispatcher. It responds to unknown paths
 * with 404 and to wrong methods with 405 and Allow, turns every thrown error into a JSON
 * error body, and logs one line per request.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import { AtsAuthError, isAtsAuthError } from '../errors.ts';
import { isJsonObject } from '../jwt/json.ts';
import { isSqliteError, toStoreError } from '../store/db.ts';
import {
  authenticateCaller,
  authorizeLogoutAll,
  clientAddressOf,
  remoteAddressOf,
  verifyCredentials,
} from './auth.ts';
import {
  IncompleteBodyError,
  readBearerToken,
  readJsonBody,
  sendError,
  sendJson,
} from './http.ts';
import type { Services } from './services.ts';
import { isValidSubject } from './tokens.ts';

/**
 * One request in flight. Handlers set `user` once they know who the caller is, and
 * `target` to the user whose tokens a logout_all request revokes.
 */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  user: string | undefined;
  target?: string;
}

type Handler = (services: Services, exchange: Exchange) => void | Promise<void>;

interface Route {
  handlers: ReadonlyMap<string, Handler>;
  /** WWW-Authenticate value for a 401 on this route (RFC 7235, section 3.1). */
  challenge: (error: unknown) => string | undefined;
  allow: string;
}

function missingToken(): AtsAuthError {
  return new AtsAuthError('ERR_BAD_CREDENTIALS', 'Missing token: send Authorization: Bearer TOKEN');
}

/** RFC 6750, section 3: no error code when the request carried no token at all. */
function bearerChallenge(error: unknown): string {
  const isTokenError = error instanceof AtsAuthError && error.code.startsWith('ERR_TOKEN_');

  return isTokenError ? 'Bearer error="invalid_token"' : 'Bearer';
}

async function login(services: Services, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, services.config.maxBodyBytes);
  const field = (name: string) =>
    isJsonObject(body) && Object.hasOwn(body, name) ? body[name] : undefined;
  const username = field('username');
  const password = field('password');
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new AtsAuthError(
      'ERR_USAGE',
      'Invalid request body: expected a JSON object with "username" and "password" strings',
    );
  }

  const address = clientAddressOf(services, exchange.req);
  const user = await verifyCredentials(services, username, password, address);
  // Set only now: a rejected "username" may be a password typed into the wrong field.
  exchange.user = user.name;

  const storedNotBeforeUs = services.revocationTable.readNotBefore(user.name);
  const token = await services.tokens.issue(user.name, storedNotBeforeUs);

  sendJson(exchange.res, 200, { token });
}

async function logout(services: Services, exchange: Exchange): Promise<void> {
  const token = readBearerToken(exchange.req);
  if (token === undefined) throw missingToken();

  try {
    const checked = services.tokens.check(token);
    exchange.user = checked.sub;
    await services.tokens.revoke(checked);
  } catch (error) {
    // A token that no longer works needs no revocation, so the response is the same 204.
    const isDead =
      isAtsAuthError(error, 'ERR_TOKEN_EXPIRED') || isAtsAuthError(error, 'ERR_TOKEN_REVOKED');
    if (!isDead) throw error;
  }

  exchange.res.writeHead(204).end();
}

async function logoutAll(services: Services, exchange: Exchange): Promise<void> {
  const target = exchange.req.headers['x-auth-userid'];
  if (!isValidSubject(target)) {
    throw new AtsAuthError(
      'ERR_USAGE',
      'Missing or invalid X-Auth-UserId header: set it to the user whose tokens to revoke',
    );
  }
  exchange.target = target;

  const caller = await authenticateCaller(services, exchange.req);
  exchange.user = caller;
  authorizeLogoutAll(services, exchange.req, caller, target);

  // Only users of this database get tokens here, so an unknown name is most likely a typo.
  if (services.users.find(target) === undefined) {
    throw new AtsAuthError(
      'ERR_NOT_FOUND',
      `No user ${target}: check the name in X-Auth-UserId; nothing was revoked`,
    );
  }
  await services.tokens.revokeAll(target);

  exchange.res.writeHead(204).end();
}

/** Checks the Bearer token; the hot path, so it reads memory only and returns no promise. */
function verifyToken(services: Services, exchange: Exchange): void {
  const token = readBearerToken(exchange.req);
  if (token === undefined) throw missingToken();

  const checked = services.tokens.check(token);
  exchange.user = checked.sub;
  exchange.res.writeHead(204, { 'x-auth-userid': checked.sub }).end();
}

function route(handlers: Record<string, Handler>, challenge: Route['challenge']): Route {
  const allow = Object.keys(handlers).join(', ');

  return { handlers: new Map(Object.entries(handlers)), challenge, allow };
}

const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/user/login', route({ POST: login }, () => undefined)],
  ['/user/logout', route({ POST: logout }, bearerChallenge)],
  [
    '/user/logout_all',
    route({ POST: logoutAll }, (error) => `${bearerChallenge(error)}, Basic realm="ats.auth"`),
  ],
  ['/token/verify', route({ GET: verifyToken, HEAD: verifyToken }, bearerChallenge)],
]);

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');

  return query < 0 ? raw : raw.slice(0, query);
}

function isUnauthorized(error: unknown): boolean {
  if (!(error instanceof AtsAuthError)) return false;

  return error.code === 'ERR_BAD_CREDENTIALS' || error.code.startsWith('ERR_TOKEN_');
}

// The request log line that follows names the client's address.
function describeRequest(exchange: Exchange): string {
  return `Request ${exchange.req.method ?? ''} ${pathOf(exchange.req.url)}`;
}

/**
 * Returns the error to send to the client for `error`, and logs what is not an expected
 * outcome: a client that stopped sending its body as one warning, a database failure as
 * one error line, and anything else with its stack trace, which the log limits to one a
 * minute per place that threw. Database failures name server paths, so the client gets
 * a generic 503.
 */
function toClientError(services: Services, exchange: Exchange, error: unknown): unknown {
  if (error instanceof IncompleteBodyError) {
    services.log.warning(`${describeRequest(exchange)}: ${error.message}`);
    return error;
  }

  const isStoreError = isAtsAuthError(error, 'ERR_STORE') || isSqliteError(error);
  if (error instanceof AtsAuthError && !isStoreError) return error;

  const failed = `${describeRequest(exchange)} failed`;
  if (!isStoreError) {
    services.log.error(failed, error);
    return error;
  }

  services.log.error(`${failed}: ${toStoreError(error, services.store.path).message}`);

  return new AtsAuthError('ERR_STORE', 'The token database is unavailable: retry later');
}

/** Sends the error response; never throws, as it runs in a promise's catch handler. */
function fail(services: Services, exchange: Exchange, route: Route | undefined, error: unknown) {
  try {
    const clientError = toClientError(services, exchange, error);
    const challenge = isUnauthorized(clientError) ? route?.challenge(clientError) : undefined;
    if (challenge === undefined) sendError(exchange.res, clientError);
    else sendError(exchange.res, clientError, { 'www-authenticate': challenge });
  } catch (secondary) {
    services.log.error('Cannot send an error response', secondary);
    exchange.res.destroy();
  }
}

function dispatch(services: Services, exchange: Exchange, path: string, route: Route | undefined) {
  if (route === undefined) {
    throw new AtsAuthError('ERR_NOT_FOUND', `Not found: ${path.slice(0, 100)}`);
  }

  const method = exchange.req.method ?? '';
  const handler = route.handlers.get(method);
  if (handler === undefined) {
    exchange.res.setHeader('allow', route.allow);
    throw new AtsAuthError(
      'ERR_METHOD_NOT_ALLOWED',
      `Method ${method} not allowed on ${path}: use ${route.allow}`,
    );
  }

  return handler(services, exchange);
}

/** Responds to one request and logs it; never throws and never rejects. */
export function handleRequest(services: Services, req: IncomingMessage, res: ServerResponse): void {
  const startedMs = performance.now();
  const exchange: Exchange = { req, res, user: undefined };
  const path = pathOf(req.url);
  const route = ROUTES.get(path);

  const finish = () => {
    services.log.request({
      method: req.method ?? '',
      path,
      status: res.statusCode,
      durationMs: performance.now() - startedMs,
      user: exchange.user,
      target: exchange.target,
      remoteAddress: remoteAddressOf(req),
    });
  };

  let result: void | Promise<void> = undefined;
  try {
    result = dispatch(services, exchange, path, route);
  } catch (error) {
    fail(services, exchange, route, error);
  }

  if (result === undefined) {
    finish();
    return;
  }

  result.catch((error: unknown) => fail(services, exchange, route, error)).finally(finish);
}
