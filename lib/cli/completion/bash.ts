/**
 * The bash completion script. Bash has no description column, so it offers bare words:
 * command words by unique prefix, options, file names and the choices of an option.
 */

import type { CommandSpec } from '../command.ts';
import { commandName } from '../help.ts';
import { completionFunctionName, optionTables, shellQuote } from './commands.ts';

function bashTable(name: string, entries: readonly (readonly [string, string])[]): string {
  // Keys start with _ because bash rejects an empty key, and the empty path is common.
  const rows = entries.map(([key, value]) => `    [${shellQuote(`_${key}`)}]=${shellQuote(value)}`);

  return `  local -A ${name}=(\n${rows.join('\n')}\n  )`;
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
