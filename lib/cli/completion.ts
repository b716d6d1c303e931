/**
 * Shell completion scripts for bash, zsh and fish. They are generated from the command
 * declarations, so they never drift from the parser. Each completes command words by
 * unique prefix, each command's options, file names after options that take a path, and
 * the listed choices of an option.
 */

import type { CommandSpec, OptionSpec } from './command.ts';
import { commandName } from './help.ts';

/** Completion's view of an option: the words that spell it and what may follow it. */
interface CompletionOption {
  /** `-f` and `--format`, or only the long form. */
  words: readonly string[];
  help: string;
  takesValue: boolean;
  completesFiles: boolean;
  choices: readonly string[];
}

/** Global options, recognised anywhere on the line. */
const GLOBAL_OPTIONS: readonly CompletionOption[] = [
  globalOption(['--version'], "show program's version number and exit"),
  globalOption(['-v', '--verbose'], 'Increase verbosity of output. Can be repeated.'),
  globalOption(['-q', '--quiet'], 'Suppress output except warnings and errors.'),
  globalOption(['--log-file'], 'Specify a file to log output. Disabled by default.', true),
  globalOption(['-h', '--help'], 'Show help message and exit.'),
  globalOption(['--debug'], 'Show tracebacks on errors.'),
  globalOption(['--config'], 'Configuration file (default: auth-client.ini)', true),
  globalOption(['--debug-requests'], 'Print request details'),
];

function globalOption(words: readonly string[], help: string, file = false): CompletionOption {
  return { words, help, takesValue: file, completesFiles: file, choices: [] };
}

function toCompletionOption(option: OptionSpec): CompletionOption {
  return {
    words:
      option.short === undefined ? [`--${option.name}`] : [`-${option.short}`, `--${option.name}`],
    help: option.help,
    takesValue: option.type === 'string',
    completesFiles: option.completeFiles === true,
    choices: option.choices ?? [],
  };
}

/** Returns the command words that may follow `path` (empty for the first word), sorted. */
function childWords(commands: readonly CommandSpec[], path: readonly string[]): string[] {
  const children = commands
    .filter(
      (spec) => spec.words.length > path.length && path.every((word, i) => spec.words[i] === word),
    )
    .map((spec) => spec.words[path.length] ?? '');

  return [...new Set(children)].sort();
}

/** Returns every command path that has further words: the empty path, then `token`. */
function groupPaths(commands: readonly CommandSpec[]): string[][] {
  const groups = new Map<string, string[]>([['', []]]);
  for (const spec of commands) {
    for (let length = 1; length < spec.words.length; length += 1) {
      const path = spec.words.slice(0, length);
      groups.set(path.join(' '), path);
    }
  }

  return [...groups.values()];
}

/** Returns the summary of a command word: the command's own, or a group label. */
function describeWord(
  commands: readonly CommandSpec[],
  path: readonly string[],
  word: string,
): string {
  const full = [...path, word].join(' ');
  const spec = commands.find((candidate) => commandName(candidate) === full);

  return spec?.summary ?? `${full} commands`;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A shell function name derived from the program name. */
export function completionFunctionName(program: string): string {
  return `_${program.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
}

function bashTable(name: string, entries: readonly (readonly [string, string])[]): string {
  // Keys start with _ because bash rejects an empty key, and the empty path is common.
  const rows = entries.map(([key, value]) => `    [${shellQuote(`_${key}`)}]=${shellQuote(value)}`);

  return `  local -A ${name}=(\n${rows.join('\n')}\n  )`;
}

/** Declares a zsh associative array from key and value pairs, which every zsh accepts. */
function zshTable(name: string, entries: readonly (readonly [string, string])[]): string {
  const rows = entries.map(([key, value]) => `    ${shellQuote(`_${key}`)} ${shellQuote(value)}`);

  return `  local -A ${name}\n  ${name}=(\n${rows.join('\n')}\n  )`;
}

/** Tables both bash and zsh read: options, which take a value or files, and choices. */
function optionTables(commands: readonly CommandSpec[]) {
  const perCommand = commands.map(
    (spec) => [commandName(spec), spec.options.map(toCompletionOption)] as const,
  );
  const wordsWhere = (
    options: readonly CompletionOption[],
    keep: (option: CompletionOption) => boolean,
  ) =>
    ` ${options
      .filter(keep)
      .flatMap((option) => option.words)
      .join(' ')} `;

  return {
    options: perCommand.map(
      ([name, options]) => [name, options.flatMap((o) => o.words).join(' ')] as const,
    ),
    withValue: perCommand.map(
      ([name, options]) => [name, wordsWhere(options, (o) => o.takesValue)] as const,
    ),
    fileOptions: perCommand.map(
      ([name, options]) => [name, wordsWhere(options, (o) => o.completesFiles)] as const,
    ),
    choices: perCommand
      .flatMap(([name, options]) =>
        options.flatMap((o) =>
          o.words.map((word) => [`${name} ${word}`, o.choices.join(' ')] as const),
        ),
      )
      .filter(([, choices]) => choices !== ''),
    globals: GLOBAL_OPTIONS.flatMap((option) => option.words).join(' '),
    globalValues: wordsWhere(GLOBAL_OPTIONS, (option) => option.takesValue),
  };
}

/** Generates the bash completion script; `program` is the command name it completes. */
export function bashCompletion(program: string, commands: readonly CommandSpec[]): string {
  const fn = completionFunctionName(program);
  const names = commands.map(commandName).sort();
  const tables = optionTables(commands);

  return `# bash completion for ${program}; load it with: source <(${program} complete)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local names=${shellQuote(names.join('\n'))}
  local globals=${shellQuote(tables.globals)} global_values=${shellQuote(tables.globalValues)}
${bashTable('options', tables.options)}
${bashTable('with_value', tables.withValue)}
${bashTable('file_options', tables.fileOptions)}
${bashTable('choices', tables.choices)}
  local path='' skip=0 i word next match
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    if [[ $word == -* ]]; then
      [[ $global_values == *" $word "* || \${with_value[_$path]} == *" $word "* ]] && skip=1
      continue
    fi
    [[ -n \${options[_$path]+set} ]] && continue
    match=''
    for next in $(${fn}_next "$path"); do
      if [[ $next == "$word" ]]; then match=$next; break; fi
      if [[ $next == "$word"* ]]; then
        if [[ -n $match ]]; then match=''; break; fi
        match=$next
      fi
    done
    [[ -z $match ]] && return 0
    path=\${path:+$path }$match
  done

  if [[ $global_values == *" $prev "* || \${file_options[_$path]} == *" $prev "* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
  fi
  if [[ -n \${choices["_$path $prev"]+set} ]]; then
    COMPREPLY=($(compgen -W "\${choices["_$path $prev"]}" -- "$cur"))
    return 0
  fi
  [[ \${with_value[_$path]} == *" $prev "* ]] && return 0
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "\${options[_$path]} $globals" -- "$cur"))
  elif [[ -z \${options[_$path]+set} ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_next "$path")" -- "$cur"))
  fi
}

# Prints the command words that may follow the words in $1.
${fn}_next() {
  local prefix=\${1:+$1 } name
  while IFS= read -r name; do
    [[ $name == "$prefix"* ]] || continue
    name=\${name#"$prefix"}
    printf '%s\\n' "\${name%% *}"
  done <<< "$names" | sort -u
}

complete -F ${fn} ${program}
`;
}

/** Escapes `word:description` for _describe, where an unescaped colon ends the word. */
function describeSpec(word: string, help: string): string {
  return `${word.replaceAll(':', '\\:')}:${help.replace(/\s+/g, ' ')}`;
}

/**
 * Generates a native zsh completion function. It works when sourced after compinit and
 * when saved as `_${program}` in a directory of $fpath.
 */
export function zshCompletion(program: string, commands: readonly CommandSpec[]): string {
  const fn = completionFunctionName(program);
  const tables = optionTables(commands);
  const children = groupPaths(commands).map((path) => {
    const specs = childWords(commands, path).map((word) =>
      describeSpec(word, describeWord(commands, path, word)),
    );
    return [path.join(' '), specs.join('\n')] as const;
  });
  const optionSpecs = commands.map((spec) => {
    const specs = spec.options
      .map(toCompletionOption)
      .flatMap((o) => o.words.map((word) => describeSpec(word, o.help)));
    return [commandName(spec), specs.join('\n')] as const;
  });
  const globalSpecs = GLOBAL_OPTIONS.flatMap((o) =>
    o.words.map((word) => describeSpec(word, o.help)),
  );

  // zsh reserves $path, $options and $words, so the locals are named cmd, opt_specs and so on.
  return `#compdef ${program}
# zsh completion for ${program}; load it with: source <(${program} complete --shell zsh)
# after compinit, or save it as _${program} in a directory of $fpath.

${fn}() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local global_values=${shellQuote(tables.globalValues)}
  local -a global_specs
  global_specs=(${globalSpecs.map(shellQuote).join(' ')})
${zshTable('children', children)}
${zshTable('opt_specs', optionSpecs)}
${zshTable('with_value', tables.withValue)}
${zshTable('file_options', tables.fileOptions)}
${zshTable('choices', tables.choices)}
  local cmd='' skip=0 i word next match
  local -a specs
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    if ((skip)); then skip=0; continue; fi
    if [[ $word == -* ]]; then
      [[ $global_values == *" $word "* || \${with_value[_$cmd]} == *" $word "* ]] && skip=1
      continue
    fi
    (( \${+opt_specs[_$cmd]} )) && continue
    match=''
    for next in \${\${(f)children[_$cmd]}%%:*}; do
      if [[ $next == "$word" ]]; then match=$next; break; fi
      if [[ $next == "$word"* ]]; then
        if [[ -n $match ]]; then match=''; break; fi
        match=$next
      fi
    done
    [[ -z $match ]] && return 1
    cmd=\${cmd:+$cmd }$match
  done

  if [[ $global_values == *" $prev "* || \${file_options[_$cmd]} == *" $prev "* ]]; then
    _files
    return
  fi
  if (( \${+choices[_$cmd $prev]} )); then
    specs=(\${=choices[_$cmd $prev]})
    compadd -a specs
    return
  fi
  [[ \${with_value[_$cmd]} == *" $prev "* ]] && return 1
  if [[ $cur == -* ]]; then
    specs=(\${(f)opt_specs[_$cmd]} $global_specs)
    _describe -t options option specs
  elif (( \${+children[_$cmd]} )); then
    specs=(\${(f)children[_$cmd]})
    _describe -t commands command specs
  fi
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${program}
fi
`;
}

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

/**
 * Formats the command tree in the form of cliff's `complete --shell none`: one `cmds_PATH='...'`
 * line per group and command, listing the words that may follow.
 */
export function plainCompletion(commands: readonly CommandSpec[]): string {
  const lines = groupPaths(commands).map((path) => {
    const key = path.length === 0 ? 'cmds' : `cmds_${path.join('_').replaceAll('-', '_')}`;
    return `  ${key}=${shellQuote(childWords(commands, path).join(' '))}`;
  });
  for (const spec of commands) {
    const words = ['-h', '--help', ...spec.options.map(toCompletionOption).flatMap((o) => o.words)];
    lines.push(
      `  cmds_${spec.words.join('_').replaceAll('-', '_')}=${shellQuote(words.join(' '))}`,
    );
  }

  return `${lines.join('\n')}\n`;
}
