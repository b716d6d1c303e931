/**
 * Masks secrets in request and response traces: credentials in headers, secret-named JSON
 * members and form fields, and anything shaped like a JWT wherever it appears.
 */

export const MASK = '***';

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-auth-token',
]);
const SECRET_KEY = /pass(word)?|secret|token|credential|authorization|api[-_]?key/i;
// Three base64url segments with a JSON-object header ("eyJ" is base64url for '{"').
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;

/** Replaces every JWT-shaped substring of `text` with the mask. */
export function maskTokens(text: string): string {
  return text.replace(JWT_SHAPE, MASK);
}

/** Returns the header value to print: the scheme survives, the credentials do not. */
export function redactHeader(name: string, value: string): string {
  if (!SECRET_HEADERS.has(name.toLowerCase())) return maskTokens(value);

  const scheme = /^(Bearer|Basic|Digest)\s/i.exec(value);

  return scheme === null ? MASK : `${scheme[1]} ${MASK}`;
}

function redactJsonValue(value: unknown): unknown {
  if (typeof value === 'string') return maskTokens(value);
  if (Array.isArray(value)) return value.map(redactJsonValue);
  if (value === null || typeof value !== 'object') return value;

  const copy: Record<string, unknown> = Object.create(null);
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key) && item !== null ? MASK : redactJsonValue(item);
  }

  return copy;
}

/** Returns a printable copy of a request or response body with its secrets masked. */
export function redactBody(body: string, contentType: string | null): string {
  if (body === '') return body;

  try {
    return JSON.stringify(redactJsonValue(JSON.parse(body)));
  } catch {
    // Not JSON: form fields and free text are masked by pattern instead.
  }

  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(body);
    for (const key of form.keys()) if (SECRET_KEY.test(key)) form.set(key, MASK);

    return maskTokens(form.toString());
  }

  return maskTokens(body);
}
