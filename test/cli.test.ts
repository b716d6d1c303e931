import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { REPO_ROOT, cleanEnv, cliCommand, closedPort, makeTempDir, runCli } from './helpers/cli.ts';

const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;

const MAIN_HELP_HEAD = `usage: ats-auth [--version] [-v | -q] [--log-file LOG_FILE] [-h] [--debug]
                [--config CONFIG] [--debug-requests]

ats-auth

optional arguments:
  --version            show program's version number and exit
  -v, --verbose        Increase verbosity of output. Can be repeated.
  -q, --quiet          Suppress output except warnings and errors.
  --log-file LOG_FILE  Specify a file to log output. Disabled by default.
  -h, --help           Show help message and exit.
  --debug              Show tracebacks on errors.
  --config CONFIG      Configuration file (default: auth-client.ini)
  --debug-requests     Print request details

Commands:
`;

const ORIGINAL_COMMANDS = [
  '  complete       print bash completion command',
  '  help           print detailed help for another command',
  '  token create   Create a JWT (RFC 7519) cryptographic token',
  '  token revoke   Revoke a token',
  '  token revoke-all  Revoke all tokens created by a user',
];

describe('ats-auth help', () => {
  for (const args of [['help'], ['-h'], ['--help']]) {
    test(`${args.join(' ')} prints the main help`, async () => {
      const result = await runCli(args);
      assert.equal(result.status, 0);
      assert.ok(result.stdout.startsWith(MAIN_HELP_HEAD), result.stdout);
      const listed = result.stdout.slice(MAIN_HELP_HEAD.length).trimEnd().split('\n');
      for (const line of ORIGINAL_COMMANDS) assert.ok(listed.includes(line), `missing: ${line}`);
      const names = listed.map((line) => line.trim().split(/\s{2,}/)[0] ?? '');
      assert.deepEqual(names, [...names].sort());
    });
  }

  test('no command prints the help and exits 2', async () => {
    const result = await runCli([]);
    assert.equal(result.status, 2);
    assert.ok(result.stderr.startsWith('usage: ats-auth'));
  });

  const createHelp = `usage: ats-auth token create [-h] [--username USERNAME] [--password PASSWORD]`;
  const createOptions = `optional arguments:
  -h, --help           show this help message and exit
  --username USERNAME  username (will use OS_USERNAME if missing)
  --password PASSWORD  password (will use OS_PASSWORD if missing, will prompt
                       if OS_PASSWORD is also missing)
`;

  for (const args of [['help', 'token', 'create'], ['token', 'create', '-h'], ['tok', 'cr', '--help']]) {
    test(`${args.join(' ')} prints the command help`, async () => {
      const result = await runCli(args);
      assert.equal(result.status, 0);
      assert.ok(result.stdout.startsWith(createHelp), result.stdout);
      assert.ok(result.stdout.includes('\n\nCreate a JWT (RFC 7519) cryptographic token\n\n'));
      assert.ok(result.stdout.includes(createOptions), result.stdout);
    });
  }

  test('help token lists the token commands', async () => {
    const result = await runCli(['help', 'token']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^ {2}token create$/m);
    assert.match(result.stdout, /^ {2}token revoke-all$/m);
    assert.doesNotMatch(result.stdout, /^ {2}help$/m);
  });

  test('help of an unknown command exits 2', async () => {
    const result = await runCli(['help', 'nothing']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /nothing/);
  });
});

describe('ats-auth command resolution', () => {
  test('tokn create suggests token create', async () => {
    const result = await runCli(['tokn', 'create']);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    const lines = result.stderr.split('\n');
    assert.equal(lines[0], "ats-auth: 'tokn create' is not an ats-auth command. See 'ats-auth --help'.");
    assert.equal(lines[1], 'Did you mean one of these?');
    assert.equal(lines[2], '  token create');
  });

  test('token re is ambiguous and lists both', async () => {
    const result = await runCli(['token', 're']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^ats-auth: 'token re' is ambiguous\./);
    assert.match(result.stderr, /^ {2}token revoke$/m);
    assert.match(result.stderr, /^ {2}token revoke-all$/m);
    assert.doesNotMatch(result.stderr, /token create/);
  });

  test('an unknown option names it and the fix', async () => {
    const result = await runCli(['token', 'create', '--usrname', 'marco']);
    assert.equal(result.status, 2);
    const lines = result.stderr.split('\n');
    assert.equal(lines[0], "ats-auth: '--usrname' is not an option of 'token create'. See 'ats-auth help token create'.");
    assert.equal(lines[1], 'Did you mean one of these?');
    assert.equal(lines[2], '  --username');
  });

  test('token alone needs a subcommand', async () => {
    const result = await runCli(['token']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^ats-auth: 'token' needs a subcommand\. See 'ats-auth help token'\./);
    assert.match(result.stderr, /^ {2}token create$/m);
  });

  const globalTypos = [
    { typed: '--debug-request', want: '--debug-requests' },
    { typed: '--bogus', want: undefined },
    { typed: '-x', want: undefined },
  ];
  for (const { typed, want } of globalTypos) {
    test(`unknown global option ${typed} is named`, async () => {
      const result = await runCli([typed, 'token', 'decode', 'x']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, new RegExp(`^ats-auth: '${typed}' is not an ats-auth option`));
      if (want !== undefined) assert.match(result.stderr, new RegExp(`^ {2}${want}$`, 'm'));
    });
  }

  test('-- before the command words is skipped', async () => {
    const result = await runCli(['--', 'help', 'token', 'create']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^usage: ats-auth token create/);
  });

  test('an unknown option never echoes the value after it', async () => {
    const result = await runCli(['token', 'create', '--pasword=hunter2']);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.includes('hunter2'), false);
  });

  test('a missing option value is a usage error', async () => {
    const result = await runCli(['token', 'create', '--username']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--username needs a value/);
  });

  test('-v and -q together are a usage error', async () => {
    const result = await runCli(['-v', '-q', 'token', 'create']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /-v and -q/);
  });

  test('global options are recognised after the command', async () => {
    const home = makeTempDir();
    const result = await runCli(['token', 'create', '--username', 'u', '--config', join(home, 'no.ini')], {
      env: cleanEnv(home, { OS_PASSWORD: 'pw' }),
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no\.ini/);
  });
});

describe('ats-auth --version', () => {
  for (const args of [['--version'], ['token', 'create', '--version']]) {
    test(`${args.join(' ')} prints the version`, async () => {
      const result = await runCli(args);
      assert.equal(result.status, 0);
      assert.equal(result.stdout, `ats-auth ${VERSION}\n`);
    });
  }
});

describe('ats-auth token create without a server', () => {
  test('a missing username is a usage error', async () => {
    const result = await runCli(['token', 'create'], { env: cleanEnv(makeTempDir(), { OS_PASSWORD: 'pw' }) });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /ats-auth: error: Missing user name: pass --username USERNAME or set OS_USERNAME/);
  });

  test('no terminal and no password is an error, not a hang', async () => {
    const result = await runCli(['token', 'create', '--username', 'marco']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /--password-stdin/);
  });

  test('an unreachable server names the address and the fix', async () => {
    const home = makeTempDir();
    const port = await closedPort();
    const result = await runCli(['token', 'create', '--username', 'marco', '--password-stdin'], {
      env: cleanEnv(home, { ATS_AUTH_URL: `http://127.0.0.1:${port}/` }),
      input: 'hunter2\n',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
    assert.match(result.stderr, /the URL in ATS_AUTH_URL/);
    assert.equal(result.stderr.includes('hunter2'), false);
  });

  test('a port fetch blocks is explained', async () => {
    const home = makeTempDir();
    writeFileSync(join(home, 'auth-client.ini'), '[session]\nserver_url = http://127.0.0.1:6000/\n');
    const result = await runCli(['token', 'create', '--username', 'marco', '--password-stdin'], {
      env: cleanEnv(home),
      cwd: home,
      input: 'hunter2\n',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /fetch blocks port 6000 as unsafe/);
    assert.match(result.stderr, /auth-client\.ini, line 2/);
  });

  test('--debug adds the stack trace', async () => {
    const home = makeTempDir();
    const result = await runCli(['--debug', 'token', 'create', '--username', 'm', '--config', join(home, 'x.ini')], {
      env: cleanEnv(home, { OS_PASSWORD: 'pw' }),
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^ats-auth: error: /m);
    assert.match(result.stderr, /^\s+at /m);
  });

  test('an ini syntax error names the file and line', async () => {
    const home = makeTempDir();
    writeFileSync(join(home, 'auth-client.ini'), '[client]\nbroken line\n');
    const result = await runCli(['token', 'create', '--username', 'm'], {
      env: cleanEnv(home, { OS_PASSWORD: 'pw' }),
      cwd: home,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /auth-client\.ini, line 2/);
  });
});

describe('ats-auth --log-file', () => {
  test('appends every record in the logging format', async () => {
    const home = makeTempDir();
    const logFile = join(home, 'run.log');
    const result = await runCli(['--log-file', logFile, '-q', 'token', 'create', '--username', 'marco', '--password-stdin'], {
      env: cleanEnv(home, { ATS_AUTH_URL: 'http://127.0.0.1:9/' }),
      input: 'hunter2\n',
    });
    assert.equal(result.status, 1);
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] DEBUG {4}ats-auth Configuration file: none$/m);
    assert.match(log, /^\[[^\]]+\] ERROR {4}ats-auth ats-auth: error: /m);
    assert.equal(log.includes('hunter2'), false);
  });
});

describe('ats-auth with a closed stdout', () => {
  for (const args of [['complete'], ['help'], ['complete', '--shell', 'zsh']]) {
    test(`${args.join(' ')} piped to true ends quietly`, () => {
      const [program, prefix] = cliCommand();
      const quoted = [program, ...prefix, ...args].map((word) => `'${word}'`).join(' ');
      const result = spawnSync('bash', ['-c', `${quoted} | true; echo "status=\${PIPESTATUS[0]}" >&2`], {
        encoding: 'utf8',
      });
      assert.equal(result.stderr, 'status=0\n');
    });
  }
});
