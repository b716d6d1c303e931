/** The YAML of `-f yaml`: JSON values in block style, for YAML 1.1 and 1.2 readers. */

import { formatJsonScalar } from './text.ts';

// YAML 1.1 readers such as PyYAML turn these plain words into booleans or null.
const YAML_RESERVED = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;

// YAML 1.2 allows in double quotes every character but C0 and C1 controls, DEL, lone
// surrogates, U+FEFF, U+FFFE and U+FFFF; those are escaped. The u flag makes a surrogate
// pair one character, so only a lone surrogate matches.
const YAML_UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufeff\ufffe\uffff]/gu;

const YAML_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
};

function escapeYamlCharacter(char: string): string {
  return YAML_SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Writes a string plain when no YAML reader can mistake it, else double-quoted. */
function formatYamlString(text: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_./+-]*$/.test(text) && !YAML_RESERVED.test(text)) return text;

  const escaped = text
    .replace(/["\\]/g, (char) => `\\${char}`)
    .replace(YAML_UNPRINTABLE, escapeYamlCharacter);

  return `"${escaped}"`;
}

function formatYamlScalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return formatYamlString(value);

  return formatJsonScalar(value);
}

function isNonEmptyContainer(value: unknown): value is object {
  if (Array.isArray(value)) return value.length > 0;

  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

/** Returns the block-style YAML lines of a JSON value, indented by `indent` spaces. */
function yamlLines(value: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isNonEmptyContainer(item)) return [`${pad}- ${formatYamlInline(item)}`];

      const [first = '', ...rest] = yamlLines(item, indent + 2);
      return [`${pad}- ${first.trimStart()}`, ...rest];
    });
  }

  return Object.entries(value as object).flatMap(([key, item]) => {
    const name = formatYamlString(key);
    if (!isNonEmptyContainer(item)) return [`${pad}${name}: ${formatYamlInline(item)}`];

    return [`${pad}${name}:`, ...yamlLines(item, Array.isArray(item) ? indent : indent + 2)];
  });
}

function formatYamlInline(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object' && value !== null) return '{}';

  return formatYamlScalar(value);
}

/** Renders a JSON value as a YAML document in block style. */
export function formatYaml(value: unknown): string {
  if (!isNonEmptyContainer(value)) return `${formatYamlInline(value)}\n`;

  return `${yamlLines(value, 0).join('\n')}\n`;
}
