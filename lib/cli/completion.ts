/**
 * Shell completion scripts generated from the command declarations, so that they never
 * drift from the parser: commands by unique prefix, each command's options, file names
 * after options that take a path, and the listed choices of an option.
 */

import type { CommandSpec, OptionSpec } from './command.ts';
import { commandName } from './help.ts';

/** Global options: name, whether it takes a value, whether that value is a file. */
export const GLOBAL_COMPLETIONS = [
  ['--version', false, false],
  ['-v', false, false],
  ['--verbose', false, false],
  ['-q', false, false],
  ['--quiet', false, false],
  ['--log-file', true, true],
  ['-h', false, false],
  ['--help', false, false],
  ['--debug', false, false],
  ['--config', true, true],
  ['--debug-requests', false, false],
] as const;

function optionWords(option: OptionSpec): string[] {
  return option.short === undefined ? [`--${option.name}`] : [`-${option.short}`, `--${option.name}`];
}

function bashQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A shell function name derived from the program name. */
export function completionFunctionName(program: string): string {
  return `_${program.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
}

function bashTable(name: string, entries: readonly (readonly [string, string])[]): string {
  // Keys start with _ because bash rejects an empty key, and the empty path is common.
  const rows = entries.map(([key, value]) => `    [${bashQuote(`_${key}`)}]=${bashQuote(value)}`);

  return `  local -A ${name}=(\n${rows.join('\n')}\n  )`;
}

/** Generates the bash completion script; `program` is the command name it completes. */
export function bashCompletion(program: string, commands: readonly CommandSpec[]): string {
  const fn = completionFunctionName(program);
  const names = commands.map(commandName).sort();
  const options = commands.map((spec) => [commandName(spec), ['-h', '--help', ...spec.options.flatMap(optionWords)].join(' ')] as const);
  const withValue = commands.map((spec) => [commandName(spec), ` ${spec.options.filter((o) => o.type === 'string').flatMap(optionWords).join(' ')} `] as const);
  const fileOptions = commands.map((spec) => [commandName(spec), ` ${spec.options.filter((o) => o.completeFiles === true).flatMap(optionWords).join(' ')} `] as const);
  const choices = commands.flatMap((spec) =>
    spec.options.filter((o) => o.choices !== undefined).flatMap((o) => optionWords(o).map((word) => [`${commandName(spec)} ${word}`, (o.choices ?? []).join(' ')] as const)),
  );
  const globals = GLOBAL_COMPLETIONS.map(([word]) => word).join(' ');
  const globalValues = GLOBAL_COMPLETIONS.filter(([, value]) => value).map(([word]) => word).join(' ');

  return `# bash completion for ${program}; load it with: source <(${program} complete)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local names=${bashQuote(names.join('\n'))}
  local globals=${bashQuote(globals)} global_values=${bashQuote(` ${globalValues} `)}
${bashTable('options', options)}
${bashTable('with_value', withValue)}
${bashTable('file_options', fileOptions)}
${bashTable('choices', choices)}
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
