/**
 * One-line rendering of JSON values in the style of Python's repr(), as the original
 * client printed headers and claims: `{'alg': 'HS256', 'typ': 'JWT'}`. Numbers are written
 * as JSON writes them, keys stay in the token's order.
 */

/** Quotes a string as Python's repr() does: single quotes unless the text contains one. */
export function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;

  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16)}`;
    else if (code >= 0x2028 && code <= 0x2029) out += `\\u${code.toString(16)}`;
    else out += char;
  }

  return out + quote;
}

/** Renders a JSON value as Python's repr() would render the decoded value. */
export function reprJson(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return reprString(value);
  if (typeof value === 'number') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reprJson).join(', ')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value).map(([key, item]) => `${reprString(key)}: ${reprJson(item)}`);

    return `{${members.join(', ')}}`;
  }

  return String(value);
}
