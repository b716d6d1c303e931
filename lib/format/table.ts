/**
 * The ASCII table of `-f table`, drawn as openstackclient draws it, with every cell made
 * safe to show on a terminal.
 */

import { formatRawValue } from './text.ts';

// C0 and C1 control characters, DEL and the bidirectional overrides could move the cursor,
// recolour the terminal or reorder what is shown, and token claims are untrusted.
const UNSAFE_ON_TERMINAL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Escapes what a terminal would interpret, keeping line feeds for the caller to split. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_ON_TERMINAL, (char) => {
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';

    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Draws an ASCII table as openstackclient does, one row per line of a multi-line cell. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
): string {
  const cells = rows.map((row) =>
    row.map((value) => escapeForTerminal(formatRawValue(value)).split('\n')),
  );
  const widths = header.map((name, column) =>
    Math.max(displayWidth(name), ...cells.flatMap((row) => (row[column] ?? []).map(displayWidth))),
  );
  const rule = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (texts: readonly string[]) =>
    `| ${texts.map((text, column) => padDisplay(text, widths[column] ?? 0)).join(' | ')} |`;

  const out = [rule, line(header), rule];
  for (const row of cells) {
    const height = Math.max(1, ...row.map((cell) => cell.length));
    for (let index = 0; index < height; index += 1) {
      out.push(line(row.map((cell) => cell[index] ?? '')));
    }
  }
  out.push(rule);

  return `${out.join('\n')}\n`;
}

/** Counts code points, so that accented and non-Latin text lines up in most terminals. */
function displayWidth(text: string): number {
  return Array.from(text).length;
}

function padDisplay(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
