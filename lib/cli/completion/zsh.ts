/**
 * The native zsh completion function, which describes each command word and option with
 * its summary or help, as `_describe` shows them.
 */

import type { CommandSpec } from '../command.ts';
import { commandName } from '../help.ts';
import {
  GLOBAL_OPTIONS,
  childWords,
  completionFunctionName,
  describeWord,
  groupPaths,
  optionTables,
  shellQuote,
  toCompletionOption,
} from './commands.ts';

/** Declares a zsh associative array from key and value pairs, which every zsh accepts. */
function zshTable(name: string, entries: readonly (readonly [string, string])[]): string {
  const rows = entries.map(([key, value]) => `    ${shellQuote(`_${key}`)} ${shellQuote(value)}`);

  return `  local -A ${name}\n  ${name}=(\n${rows.join('\n')}\n  )`;
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
