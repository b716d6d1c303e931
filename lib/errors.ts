/**
 * Error codes shared by the client, the server and the token codec. Exit statuses and HTTP
 * statuses are derived from these codes here and nowhere else.
 */

/** Stable codes: callers, tests, exit statuses and HTTP statuses branch on these. */
export type ErrorCode =
  | 'ERR_USAGE'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_ALG'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_CLAIM'
  | 'ERR_TOKEN_EXPIRES_SOON'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_CONFIG'
  | 'ERR_NO_PASSWORD'
  | 'ERR_BAD_CREDENTIALS'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_TOO_LARGE'
  | 'ERR_CONFLICT'
  | 'ERR_RATE_LIMITED'
  | 'ERR_SERVER'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_TLS'
  | 'ERR_STORE'
  | 'ERR_INTERRUPTED'
  | 'ERR_TERMINATED';

/** An expected failure: bad input, a refused request, a token that does not verify. */
export class AtsAuthError extends Error {
  override name = 'AtsAuthError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Returns whether `value` is an AtsAuthError, optionally with the given code. */
export function isAtsAuthError(value: unknown, code?: ErrorCode): value is AtsAuthError {
  if (!(value instanceof AtsAuthError)) return false;

  return code === undefined || value.code === code;
}

/**
 * Exit statuses of `token verify`, one per outcome, so that a pipeline can branch on why
 * a token failed. 1 and 2 keep their general meaning.
 */
const VERIFY_EXIT_STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_TOKEN_MALFORMED: 3,
  ERR_TOKEN_ALG: 4,
  ERR_TOKEN_SIGNATURE: 4,
  ERR_TOKEN_EXPIRED: 5,
  ERR_TOKEN_NOT_YET_VALID: 6,
  ERR_TOKEN_CLAIM: 7,
  ERR_TOKEN_EXPIRES_SOON: 8,
  ERR_TOKEN_REVOKED: 9,
};

/** Exit status of the CLI for an error. `detailed` selects the per-outcome token statuses. */
export function exitStatusFor(error: unknown, detailed = false): number {
  if (!(error instanceof AtsAuthError)) return 1;
  if (error.code === 'ERR_USAGE') return 2;
  if (error.code === 'ERR_INTERRUPTED') return 130;
  if (error.code === 'ERR_TERMINATED') return 143;
  if (detailed) return VERIFY_EXIT_STATUS[error.code] ?? 1;

  return 1;
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_USAGE: 400,
  ERR_TOKEN_MALFORMED: 401,
  ERR_TOKEN_ALG: 401,
  ERR_TOKEN_SIGNATURE: 401,
  ERR_TOKEN_EXPIRED: 401,
  ERR_TOKEN_NOT_YET_VALID: 401,
  ERR_TOKEN_CLAIM: 401,
  ERR_TOKEN_REVOKED: 401,
  ERR_BAD_CREDENTIALS: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_TIMEOUT: 408,
  ERR_CONFLICT: 409,
  ERR_TOO_LARGE: 413,
  ERR_RATE_LIMITED: 429,
  ERR_STORE: 503,
};

/** Returns the HTTP status the server sends for an error; anything unexpected is a 500. */
export function httpStatusFor(error: unknown): number {
  if (!(error instanceof AtsAuthError)) return 500;

  return HTTP_STATUS[error.code] ?? 500;
}

/** Returns the error for work stopped by a signal: SIGTERM exits 143, any other 130. */
export function interruptionError(reason: unknown, options?: ErrorOptions): AtsAuthError {
  if (reason === 'SIGTERM') return new AtsAuthError('ERR_TERMINATED', 'Terminated', options);

  return new AtsAuthError('ERR_INTERRUPTED', 'Interrupted', options);
}
