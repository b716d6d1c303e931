/**
 * Plain-text forms of a JSON value: bare for `-f value`, a shell assignment for
 * `-f shell`, and a CSV field for `-f csv`.
 */

/** Returns a value as plain text: strings as they are, anything else as compact JSON. */
export function formatRawValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;

  return typeof value === 'object' ? JSON.stringify(value) : formatJsonScalar(value);
}

/**
 * Formats `NAME="value"` for `eval` in any POSIX shell. Inside double quotes only `$`, the
 * backquote, `"` and `\` are special, so escaping those four makes every other byte,
 * line feeds included, literal.
 */
export function formatShellAssignment(prefix: string, column: string, value: unknown): string {
  const name = `${prefix}${column.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
  // NOTE: shell variables cannot contain NUL, so a NUL in a value is dropped.
  const text = formatRawValue(value).replaceAll('\u0000', '');
  const quoted = text.replace(/[$`"\\]/g, (char) => `\\${char}`);

  return `${name}="${quoted}"\n`;
}

/** Quotes a CSV field when RFC 4180 requires it. */
export function formatCsvField(value: unknown): string {
  const text = formatRawValue(value);

  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Formats a finite number as JSON does, and infinities and NaN with their YAML names. */
function formatNumber(value: number): string {
  if (Number.isFinite(value)) return JSON.stringify(value);
  if (Number.isNaN(value)) return '.nan';

  return value > 0 ? '.inf' : '-.inf';
}

/** Formats a scalar other than a string or null: numbers by formatNumber, the rest by String. */
export function formatJsonScalar(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);

  return String(value);
}
