/**
 * Fish completions: `complete` lines, each guarded by a function that resolves the words
 * typed so far to a command.
 */

import type { CommandSpec } from '../command.ts';
import { commandName } from '../help.ts';
import {
  GLOBAL_OPTIONS,
  childWords,
  completionFunctionName,
  describeWord,
  groupPaths,
  toCompletionOption,
} from './commands.ts';
import type { CompletionOption } from './commands.ts';

function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, (char) => `\\${char}`)}'`;
}

/** Builds the fish `complete` line of an option, for one command unless `condition` is empty. */
function fishOptionLine(program: string, option: CompletionOption, condition: string): string {
  const parts = [`complete -c ${program}`];
  if (condition !== '') parts.push(`-n ${fishQuote(condition)}`);
  for (const word of option.words)
    parts.push(word.startsWith('--') ? `-l ${word.slice(2)}` : `-s ${word.slice(1)}`);
  if (option.choices.length > 0) parts.push('-x', `-a ${fishQuote(option.choices.join(' '))}`);
  else if (option.completesFiles) parts.push('-r', '-F');
  else if (option.takesValue) parts.push('-x');
  parts.push(`-d ${fishQuote(option.help.replace(/\s+/g, ' '))}`);

  return parts.join(' ');
}

/** Generates fish completions: `complete` lines guarded by the command typed so far. */
export function fishCompletion(program: string, commands: readonly CommandSpec[]): string {
  const fn = `_${completionFunctionName(program)}`;
  const names = commands.map(commandName);
  const withValue = [
    ...GLOBAL_OPTIONS.filter((o) => o.takesValue).flatMap((o) => o.words),
    ...commands.flatMap((spec) =>
      spec.options
        .map(toCompletionOption)
        .filter((o) => o.takesValue)
        .flatMap((o) => o.words.map((w) => `${commandName(spec)} ${w}`)),
    ),
  ];
  const groups = groupPaths(commands).map((path) => {
    const words = childWords(commands, path).join(' ');
    return `        case ${fishQuote(path.join(' '))}\n            printf '%s\\n' ${words}`;
  });

  const lines = [
    `# fish completion for ${program}; load it with: ${program} complete --shell fish | source`,
    `# or save it as ~/.config/fish/completions/${program}.fish`,
    '',
    '# Prints the command words that may follow the command in $argv[1].',
    `function ${fn}_children`,
    '    switch $argv[1]',
    ...groups,
    '    end',
    'end',
    '',
    '# Prints the command named by the words before the cursor, each word a unique prefix,',
    '# or ? when they name none.',
    `function ${fn}_path`,
    `    set -l names ${names.map(fishQuote).join(' ')}`,
    `    set -l with_value ${withValue.map(fishQuote).join(' ')}`,
    "    set -l cmd ''",
    '    set -l skip 0',
    '    for word in (commandline -opc)[2..-1]',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    "        if string match -q -- '-*' $word",
    '            if contains -- $word $with_value; or contains -- "$cmd $word" $with_value',
    '                set skip 1',
    '            end',
    '            continue',
    '        end',
    '        contains -- "$cmd" $names; and continue',
    `        set -l matches (${fn}_children "$cmd")`,
    '        if contains -- $word $matches',
    '            set matches $word',
    '        else',
    "            set -l pattern '^'(string escape --style=regex -- $word)",
    '            set matches (string match -r -e -- $pattern $matches)',
    '        end',
    '        if test (count $matches) -ne 1',
    "            echo '?'",
    '            return',
    '        end',
    '        set cmd (string trim -- "$cmd $matches[1]")',
    '    end',
    '    echo $cmd',
    'end',
    '',
    '# Succeeds when the words before the cursor name the command in $argv[1].',
    `function ${fn}_is`,
    `    set -l cmd (${fn}_path)`,
    '    test "$cmd" = "$argv[1]"',
    'end',
    '',
    `complete -c ${program} -f`,
    ...GLOBAL_OPTIONS.map((option) => fishOptionLine(program, option, '')),
  ];

  for (const path of groupPaths(commands)) {
    const condition = `${fn}_is ${fishQuote(path.join(' '))}`;
    for (const word of childWords(commands, path)) {
      const summary = describeWord(commands, path, word);
      lines.push(
        `complete -c ${program} -n ${fishQuote(condition)} -a ${word} -d ${fishQuote(summary)}`,
      );
    }
  }
  for (const spec of commands) {
    const condition = `${fn}_is ${fishQuote(commandName(spec))}`;
    for (const option of spec.options)
      lines.push(fishOptionLine(program, toCompletionOption(option), condition));
  }

  return `${lines.join('\n')}\n`;
}
