/**
 * The ASCII table of `-f table`, drawn as openstackclient draws it, with every cell made
 * safe to show on a terminal.
 */

import { escapeForTerminal } from './terminal.ts';
import { formatRawValue } from './text.ts';

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
