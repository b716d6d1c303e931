/**
 * Reading requests and writing responses for the server: JSON bodies under a size limit,
 * the Authorization header, and error bodies `{"error": code, "message": text}` whose
 * status comes from httpStatusFor().
 */

import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { AtsAuthError, httpStatusFor } from '../errors.ts';
import { findDuplicateMemberName } from '../jwt/json.ts';

/** A rate-limit error whose retry delay is sent as Retry-After. */
export class RateLimitedError extends AtsAuthError {
  override name = 'RateLimitedError';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('ERR_RATE_LIMITED', `Too many failed logins: retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A request body the client stopped sending: it closed the connection (400) or did not
 * send the body within the request timeout (408). A client's fault, so no stack trace.
 */
export class IncompleteBodyError extends AtsAuthError {
  override name = 'IncompleteBodyError';

  constructor(timedOut: boolean) {
    if (timedOut) {
      super('ERR_TIMEOUT', 'Request timed out: the client did not send the whole body in time');
    } else {
      super('ERR_USAGE', 'Incomplete request body: the client closed the connection');
    }
  }
}

export interface Authorization {
  /** The scheme in lower case, such as `bearer` or `basic`. */
  scheme: string;
  credentials: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function badRequest(message: string): AtsAuthError {
  return new AtsAuthError('ERR_USAGE', message);
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;

  const semicolon = value.indexOf(';');
  const mediaType = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();

  return mediaType === 'application/json';
}

/** A body being read on a socket; the server's clientError handler marks a timeout. */
interface BodyRead {
  timedOut: boolean;
}

const bodyReads = new WeakMap<object, BodyRead>();

/**
 * Records a client error that Node reported on `socket` (`code` such as
 * ERR_HTTP_REQUEST_TIMEOUT). Returns true when a request body is being read there, so that
 * the request itself reports the failure and logs it.
 */
export function noteClientError(socket: object, code: string): boolean {
  const read = bodyReads.get(socket);
  if (read === undefined) return false;

  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') read.timedOut = true;

  return true;
}

/**
 * Reads the body as bytes, rejecting with ERR_TOO_LARGE past `maxBytes` and with
 * IncompleteBodyError when the client stops sending it.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = new AtsAuthError(
    'ERR_TOO_LARGE',
    `Request body too large: the maximum is ${maxBytes} bytes`,
  );
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.reject(tooLarge);

  const read: BodyRead = { timedOut: false };
  bodyReads.set(req.socket, read);

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | undefined) => {
      req.off('data', onData).off('end', onEnd);
      req.off('error', onIncomplete).off('close', onIncomplete);
      bodyReads.delete(req.socket);
      if (error === undefined) resolve(Buffer.concat(chunks, size));
      else reject(error);
    };
    // Past the limit the listeners go; the rest of the body is read and dropped while the
    // 413 goes out with Connection: close.
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) finish(tooLarge);
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    // Node reports an aborted body as an "aborted" ECONNRESET error, then a close.
    const onIncomplete = () => finish(new IncompleteBodyError(read.timedOut));

    req.on('data', onData).on('end', onEnd).on('error', onIncomplete).on('close', onIncomplete);
  });
}

/**
 * Reads a JSON request body. Throws ERR_USAGE (400) for another content type, invalid
 * UTF-8, invalid JSON or a member name repeated in one object, ERR_TOO_LARGE (413) past
 * `maxBytes`, and IncompleteBodyError (400 or 408) for a body the client stopped sending.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw badRequest('Invalid Content-Type: send the body as application/json');
  }

  const bytes = await readBody(req, maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('Invalid request body: not valid UTF-8');
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('Invalid request body: not valid JSON');
  }

  // JSON.parse keeps the last of repeated member names. Another parser in front of the
  // server may keep the first, so the two would read different user names.
  const duplicate =
    typeof value === 'object' && value !== null ? findDuplicateMemberName(text, value) : undefined;
  if (duplicate !== undefined) {
    const quoted = JSON.stringify(duplicate.slice(0, 32));
    throw badRequest(`Invalid request body: duplicate member ${quoted}`);
  }

  return value;
}

/** Splits the Authorization header into scheme and credentials; undefined when absent. */
export function readAuthorization(req: IncomingMessage): Authorization | undefined {
  const header = req.headers.authorization;
  if (header === undefined || header === '') return undefined;

  const space = header.indexOf(' ');
  if (space < 0) return { scheme: header.toLowerCase(), credentials: '' };

  const scheme = header.slice(0, space).toLowerCase();

  return { scheme, credentials: header.slice(space + 1).trim() };
}

/** Returns the Bearer token of the request, or undefined when it sends no Bearer token. */
export function readBearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  // The common spelling is checked first, so the verify hot path skips the general parsing.
  if (header?.startsWith('Bearer ') === true) return header.slice(7).trim();

  const authorization = readAuthorization(req);

  return authorization?.scheme === 'bearer' ? authorization.credentials : undefined;
}

/** Decodes Basic credentials (RFC 7617); throws ERR_BAD_CREDENTIALS when malformed. */
export function decodeBasicCredentials(credentials: string): { user: string; password: string } {
  const text = /^[A-Za-z0-9+/]+={0,2}$/.test(credentials)
    ? Buffer.from(credentials, 'base64').toString('utf8')
    : '';
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw new AtsAuthError(
      'ERR_BAD_CREDENTIALS',
      'Invalid Basic credentials: expected the base64 encoding of user:password',
    );
  }

  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Sends `body` as JSON with `status`; responses are never cached, as they carry tokens. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * Sends the error response for `error`. Anything but an AtsAuthError is a 500 whose body
 * hides the cause, which the caller logs instead.
 */
export function sendError(
  res: ServerResponse,
  error: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }

  const known = error instanceof AtsAuthError;
  const status = httpStatusFor(error);
  const body = known
    ? { error: error.code, message: error.message }
    : { error: 'ERR_SERVER', message: 'Internal server error' };
  const extra: Record<string, string> = { ...headers };
  if (error instanceof RateLimitedError) extra['retry-after'] = String(error.retryAfterSeconds);
  // After a 413 the unread body would otherwise have to be read to keep the connection.
  if (status === 413) extra['connection'] = 'close';

  sendJson(res, status, body, extra);
}
