/**
 * Escapes for text that reaches a terminal but comes from outside: token claims, server
 * messages. Control characters there could move the cursor, recolour the screen or forge
 * lines of output.
 */

// C0 and C1 control characters, DEL and the bidirectional overrides could move the cursor,
// recolour the terminal or reorder what is shown, and token claims are untrusted. Line and
// paragraph separators break lines too, and zero-width characters hide in plain sight.
const UNSAFE_ON_TERMINAL =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Escapes what a terminal would interpret, keeping line feeds for the caller to split. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_ON_TERMINAL, (char) => {
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';

    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Escapes what a terminal would interpret, line feeds too, for a value shown on one line. */
export function escapeLine(text: string): string {
  return escapeForTerminal(text).replaceAll('\n', '\\n');
}
