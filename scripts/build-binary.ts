/**
 * Builds the single executable dist/ats-auth and its checksum file dist/ats-auth.sha256
 * with Node's own `--build-sea`: the CLI bundled to one CommonJS file, injected with its
 * V8 code cache into a stripped copy of the Node binary that runs this script.
 *
 * Usage: node scripts/build-binary.ts (run by `make binary`, so with the pinned Node)
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT, bundleCli, readPackageVersion } from './build-bundle.ts';

const DIST = join(REPO_ROOT, 'dist');
const WORK = join(DIST, 'sea');
const BINARY_NAME = 'ats-auth';

/** Copies `node` into the work directory and strips it; undefined when `strip` fails. */
function stripNodeCopy(node: string): string | undefined {
  const copy = join(WORK, 'node');
  copyFileSync(node, copy);

  // Stripped before injection: `strip` run on the finished executable drops the
  // .note.node.sea section, and that executable crashes at start (checked on Node 26.10).
  const result = spawnSync('strip', ['--strip-all', copy], { stdio: 'inherit' });
  if (result.error !== undefined || result.status !== 0) {
    const reason = result.error?.message ?? `exit status ${result.status}`;
    console.warn(`strip failed (${reason}): building on the unstripped Node binary`);
    return undefined;
  }

  return copy;
}

/** Runs `node --build-sea` with a config that injects `main` into `executable`. */
function buildSea(main: string, executable: string, output: string): void {
  const config = {
    main,
    mainFormat: 'commonjs',
    executable,
    output,
    disableExperimentalSEAWarning: true,
    // The code cache saved 1 to 1.5 ms of compilation at each start (docs/BENCHMARKS.md).
    useCodeCache: true,
    useSnapshot: false,
    // NODE_OPTIONS is ignored, because one set for other tools in a CI job (a --require of
    // a missing file, say) would stop the executable. NODE_EXTRA_CA_CERTS still applies.
    execArgvExtension: 'none',
  };
  const configPath = join(WORK, 'sea-config.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);

  execFileSync(process.execPath, ['--build-sea', configPath], { stdio: 'inherit' });
}

/** Returns why `binary --version` did not print the expected line alone, or undefined. */
function checkVersionOutput(binary: string, version: string): string | undefined {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', env: {} });
  if (result.error !== undefined) return result.error.message;
  if (result.status !== 0) return `exit status ${result.status}, signal ${result.signal}`;

  const expected = `${BINARY_NAME} ${version}\n`;
  if (result.stdout !== expected) return `stdout ${JSON.stringify(result.stdout)}`;
  if (result.stderr !== '') return `stderr ${JSON.stringify(result.stderr)}`;

  return undefined;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function main(): Promise<void> {
  const version = readPackageVersion();
  console.log(`Building ${BINARY_NAME} ${version} with Node ${process.version}`);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  const bundle = join(WORK, 'ats-auth.cjs');
  const bundleBytes = await bundleCli(bundle, 'node26');
  console.log(`Bundled dist/sea/ats-auth.cjs (${bundleBytes} bytes)`);

  const output = join(WORK, BINARY_NAME);
  const stripped = stripNodeCopy(process.execPath);
  buildSea(bundle, stripped ?? process.execPath, output);

  let failure = checkVersionOutput(output, version);
  if (failure !== undefined && stripped !== undefined) {
    console.warn(`The executable on stripped Node failed (${failure}): building unstripped`);
    buildSea(bundle, process.execPath, output);
    failure = checkVersionOutput(output, version);
  }
  if (failure !== undefined) throw new Error(`Built ${output} does not run: ${failure}`);

  // The checksum line names dist/ats-auth, so `sha256sum -c dist/ats-auth.sha256` runs from
  // the checkout, or from wherever a user copied the dist directory.
  writeFileSync(join(DIST, `${BINARY_NAME}.sha256`), `${sha256File(output)}  dist/${BINARY_NAME}\n`);
  // Renamed last: dist/ats-auth appears only once it has run and has its checksum, so make
  // never takes a failed build for an up-to-date one.
  renameSync(output, join(DIST, BINARY_NAME));
  if (stripped !== undefined) rmSync(stripped);

  const megabytes = (statSync(join(DIST, BINARY_NAME)).size / 1e6).toFixed(1);
  console.log(`Wrote dist/${BINARY_NAME} (${megabytes} MB) and dist/${BINARY_NAME}.sha256`);
}

await main();
