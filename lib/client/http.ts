/**
 * HTTP for the client: global fetch with a time limit, a bounded response body, errors
 * that name what to check, and an optional trace with every secret masked.
 */

import { AtsAuthError, interruptionError } from '../errors.ts';
import { describeSystemError } from '../system-errors.ts';
import { redactBody, redactHeader } from './redact.ts';

/** Maximum response body read, in bytes; ats.auth responses are well under 1 KiB. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Headers;
  body: string;
}

export interface HttpOptions {
  timeoutSeconds: number;
  /** Origin of the server URL for error messages, for example `ATS_AUTH_URL`. */
  urlSource?: string;
  /** Receives each line of the request and response trace, secrets already masked. */
  trace?: (line: string) => void;
  signal?: AbortSignal;
}

function traceRequest(request: HttpRequest, trace: (line: string) => void): void {
  trace(`REQ: ${request.method} ${request.url.href}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    trace(`REQ: ${name}: ${redactHeader(name, value)}`);
  }
  if (request.body !== undefined) {
    trace(`REQ: ${redactBody(request.body, request.headers?.['Content-Type'] ?? null)}`);
  }
}

function traceResponse(response: HttpResponse, trace: (line: string) => void): void {
  trace(`RESP: ${response.status} ${response.statusText}`);
  for (const [name, value] of response.headers) trace(`RESP: ${name}: ${redactHeader(name, value)}`);
  if (response.body !== '') {
    trace(`RESP: ${redactBody(response.body, response.headers.get('content-type'))}`);
  }
}

async function readBoundedBody(response: Response, url: URL): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw tooLarge(url);
  }

  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) throw tooLarge(url);

    chunks.push(chunk);
  }

  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(url: URL): AtsAuthError {
  return new AtsAuthError(
    'ERR_SERVER',
    `Response from ${url.origin} is larger than ${MAX_RESPONSE_BYTES} bytes: check the server URL`,
  );
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_NOT_YET_VALID',
]);

/** Turns what fetch throws into an AtsAuthError that names the server and the fix. */
function describeFetchError(error: unknown, url: URL, options: HttpOptions): AtsAuthError {
  if (options.signal?.aborted) return interruptionError(options.signal.reason);

  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return new AtsAuthError(
      'ERR_TIMEOUT',
      `No response from ${url.origin} within ${options.timeoutSeconds} s: check the server or raise --timeout`,
    );
  }

  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('CERT_')) {
    return new AtsAuthError(
      'ERR_TLS',
      `TLS certificate of ${url.origin} not trusted (${code}): pass --ca-file or set NODE_EXTRA_CA_CERTS`,
      { cause: error },
    );
  }

  const source = options.urlSource ?? 'server_url';
  if (cause?.message === 'bad port') {
    return new AtsAuthError(
      'ERR_NETWORK',
      `Cannot reach ${url.origin}: fetch blocks port ${url.port} as unsafe; ` +
        `run the server on another port and change the URL in ${source}`,
      { cause: error },
    );
  }

  const reason = code === '' ? (cause?.message ?? String(error)) : describeSystemError(cause);

  return new AtsAuthError(
    'ERR_NETWORK',
    `Cannot reach ${url.origin}: ${reason}; check that the server runs and the URL in ${source}`,
    { cause: error },
  );
}

/** Sends one request and returns the whole response; throws AtsAuthError on failure. */
export async function sendRequest(request: HttpRequest, options: HttpOptions): Promise<HttpResponse> {
  if (options.trace !== undefined) traceRequest(request, options.trace);

  const timeout = AbortSignal.timeout(Math.max(1, Math.round(options.timeoutSeconds * 1000)));
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);

  let response: HttpResponse;
  try {
    const answer = await fetch(request.url, {
      method: request.method,
      headers: request.headers ?? {},
      body: request.body ?? null,
      redirect: 'manual',
      signal,
    });
    const body = await readBoundedBody(answer, request.url);
    response = { status: answer.status, statusText: answer.statusText, headers: answer.headers, body };
  } catch (error) {
    if (error instanceof AtsAuthError) throw error;

    throw describeFetchError(error, request.url, options);
  }

  if (options.trace !== undefined) traceResponse(response, options.trace);

  return response;
}
