import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';

import { makeTempDir, runCli } from './helpers/cli.ts';

type Shell = 'bash' | 'zsh' | 'fish';

/**
 * zsh setup for the completion driver. It loads compinit and the script, and wraps compadd
 * so that every match zsh would offer is printed between markers. The shell exits once the
 * completion functions have run. compadd calls that only compute matches (-O, -A, -D) pass
 * through untouched.
 */
const ZSH_SETUP = `PS1='' RPS1=''
zle_bracketed_paste=()
autoload -Uz compinit && compinit -u -D
[[ -n $COMPLETION_SCRIPT ]] && source "$COMPLETION_SCRIPT"
bindkey '^I' complete-word
compadd() {
  local arg
  for arg in "$@"; do
    [[ $arg == (-|--) ]] && break
    if [[ $arg == -[a-zA-Z]#[OAD]* ]]; then
      builtin compadd "$@"
      return
    fi
  done
  local -a found
  builtin compadd -O found "$@"
  local match
  for match in $found; do print -r -- "<match:$match>"; done
  builtin compadd "$@"
}
_report_done() { print -r -- '<done>'; exit }
comppostfuncs=(_report_done)
print -r -- '<ready>'
`;

/** Runs an interactive zsh in a pseudo-terminal, types $2 and a Tab, prints what it shows. */
const ZSH_DRIVER = `zmodload zsh/zpty
zpty completion zsh -f -i
zpty -w completion "source \${(q)1}"
zpty -r completion output '*<ready>*'
zpty -w -n completion "$2"$'\\t'
zpty -r completion output '*<done>*'
print -r -- "$output"
zpty -d completion
`;

function isInstalled(shell: Shell): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0;
}

function skipReason(shell: Shell): string | false {
  return isInstalled(shell) ? false : `${shell} is not installed (Debian package: ${shell})`;
}

/** Splits a typed line into words; a trailing space starts an empty word. */
function splitLine(line: string): string[] {
  const words = line.split(' ').filter((word) => word !== '');

  return line.endsWith(' ') ? [...words, ''] : words;
}

/** Returns the sorted candidates `shell` offers for `line`, completed by `script`. */
function complete(shell: Shell, script: string, line: string, functionName = '_ats_auth_complete') {
  let result;
  if (shell === 'bash') {
    const program = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
      ${functionName}; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const args = ['--norc', '--noprofile', '-c', program, 'bash', script, ...splitLine(line)];
    result = spawnSync('bash', args, { encoding: 'utf8', timeout: 20_000 });
  } else if (shell === 'fish') {
    const program = 'source $argv[1]; complete -C $argv[2]';
    result = spawnSync('fish', ['--no-config', '-c', program, script, line], {
      encoding: 'utf8',
      timeout: 20_000,
    });
  } else {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'setup.zsh'), ZSH_SETUP);
    writeFileSync(join(dir, 'driver.zsh'), ZSH_DRIVER);
    const env = { ...process.env, COMPLETION_SCRIPT: script, HOME: dir };
    // The timeout only stops a hung shell; no assertion depends on timing.
    result = spawnSync('zsh', ['-f', join(dir, 'driver.zsh'), join(dir, 'setup.zsh'), line], {
      encoding: 'utf8',
      env,
      timeout: 20_000,
    });
  }
  assert.equal(result.status, 0, `${shell} failed: ${result.stderr}`);

  if (shell === 'zsh') {
    const matches = [...result.stdout.matchAll(/<match:([^>\r\n]*)>/g)].map((m) => m[1] ?? '');
    return [...new Set(matches)].sort();
  }
  const lines = result.stdout.split('\n').filter((candidate) => candidate !== '');

  return lines.map((candidate) => candidate.split('\t')[0] ?? '').sort();
}

const TOKEN_COMMANDS = ['create', 'decode', 'revoke', 'revoke-all', 'verify'];

/** Lines typed in each shell and the exact candidates expected, sorted. */
const CASES = [
  { line: 'ats-auth tok', want: ['token'] },
  { line: 'ats-auth token re', want: ['revoke', 'revoke-all'] },
  { line: 'ats-auth token create --us', want: ['--username'] },
  { line: 'ats-auth tok cr --us', want: ['--username'] },
  { line: 'ats-auth token ', want: TOKEN_COMMANDS },
  { line: 'ats-auth -v token verify --min', want: ['--min-validity'] },
  { line: 'ats-auth --config x.ini token dec --n', want: ['--now'] },
  { line: 'ats-auth token create --username marco --password-', want: ['--password-stdin'] },
  { line: 'ats-auth token decode -f ', want: ['json', 'shell', 'table', 'value', 'yaml'] },
  { line: 'ats-auth token create --format ex', want: ['exec-credential'] },
  { line: 'ats-auth complete --shell ', want: ['bash', 'fish', 'none', 'zsh'] },
  { line: 'ats-auth tokn ', want: [] },
];

const scripts: Record<Shell, string> = { bash: '', zsh: '', fish: '' };

before(async () => {
  const dir = makeTempDir();
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const result = await runCli(['complete', '--shell', shell]);
    assert.equal(result.status, 0, result.stderr);
    scripts[shell] = join(dir, `ats-auth.${shell}`);
    writeFileSync(scripts[shell], result.stdout);
  }
});

for (const shell of ['bash', 'zsh', 'fish'] as const) {
  describe(`${shell} completion`, { skip: skipReason(shell) }, () => {
    for (const { line, want } of CASES) {
      test(`completes "${line}"`, () => {
        assert.deepEqual(complete(shell, scripts[shell], line), want);
      });
    }

    test('completes file names after --config', () => {
      const dir = makeTempDir();
      writeFileSync(join(dir, 'conf-a.ini'), '');
      writeFileSync(join(dir, 'conf-b.ini'), '');
      const found = complete(shell, scripts[shell], `ats-auth --config ${dir}/conf`);

      assert.deepEqual(
        found.map((path) => basename(path)),
        ['conf-a.ini', 'conf-b.ini'],
      );
    });

    test('completes file names after --secret-file', () => {
      const dir = makeTempDir();
      writeFileSync(join(dir, 'jwt-secret'), '');
      const line = `ats-auth token verify --secret-file ${dir}/jwt`;

      assert.deepEqual(
        complete(shell, scripts[shell], line).map((path) => basename(path)),
        ['jwt-secret'],
      );
    });
  });
}

describe('complete --name', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    test(`renames the ${shell} completion`, { skip: skipReason(shell) }, async () => {
      const result = await runCli(['complete', '--shell', shell, '--name', 'my-auth']);
      const script = join(makeTempDir(), `my-auth.${shell}`);
      writeFileSync(script, result.stdout);

      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(complete(shell, script, 'my-auth tok', '_my_auth_complete'), ['token']);
    });
  }

  test('rejects a name a shell would interpret', async () => {
    const result = await runCli(['complete', '--name', 'x;rm']);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /Invalid --name "x;rm"/);
  });
});

describe('zsh completion from $fpath', { skip: skipReason('zsh') }, () => {
  test('autoloads as _ats-auth', () => {
    const dir = makeTempDir();
    const fpathDir = join(dir, 'functions');
    spawnSync('mkdir', [fpathDir]);
    const text = spawnSync('cat', [scripts.zsh], { encoding: 'utf8' }).stdout;
    writeFileSync(join(fpathDir, '_ats-auth'), text);
    // An empty COMPLETION_SCRIPT makes the setup rely on compinit finding the file.
    const setup = ZSH_SETUP.replace(
      'autoload -Uz compinit',
      `fpath=(${fpathDir} $fpath); autoload -Uz compinit`,
    );
    writeFileSync(join(dir, 'setup.zsh'), setup);
    writeFileSync(join(dir, 'driver.zsh'), ZSH_DRIVER);
    const result = spawnSync(
      'zsh',
      ['-f', join(dir, 'driver.zsh'), join(dir, 'setup.zsh'), 'ats-auth token re'],
      {
        encoding: 'utf8',
        env: { ...process.env, COMPLETION_SCRIPT: '', HOME: dir },
        timeout: 20_000,
      },
    );
    const matches = [...result.stdout.matchAll(/<match:([^>\r\n]*)>/g)].map((m) => m[1]);

    assert.deepEqual([...new Set(matches)].sort(), ['revoke', 'revoke-all']);
  });
});

describe('complete --shell none', () => {
  test('prints the command tree as cliff does', async () => {
    const result = await runCli(['complete', '--shell', 'none']);

    assert.equal(result.status, 0);
    assert.match(result.stdout, /^ {2}cmds_token='create decode revoke revoke-all verify'$/m);
    assert.match(result.stdout, /^ {2}cmds_token_create='-h --help --username /m);
  });
});
