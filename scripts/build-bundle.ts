/**
 * Bundles ats-auth.ts with esbuild into one CommonJS file, for the single executable and
 * for the npm package: every module of lib/ and package.json inlined, Node's built-in
 * modules left as imports, since both forms run on a Node that has them.
 *
 * CommonJS rather than an ES module, because esbuild turns the `node:` imports of a module
 * that is loaded by dynamic import() into require() calls that run only when that module
 * loads. An ES module bundle imports every built-in at start-up instead, node:sqlite,
 * node:http and node:crypto even for `--version`: as a single executable, its `--version`
 * took 42 ms against 24 ms for CommonJS (docs/BENCHMARKS.md).
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

/** The repository root, whatever the current directory. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Reads the `version` field of package.json, which `ats-auth --version` prints. */
export function readPackageVersion(): string {
  const text = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8');
  const version: unknown = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new TypeError('package.json has no string "version"');

  return version;
}

/**
 * Bundles ats-auth.ts into `outfile` and returns the bundle's size in bytes. `target` is
 * an esbuild target such as `node26`: the oldest Node that must run the bundle.
 */
export async function bundleCli(outfile: string, target: string): Promise<number> {
  const result = await build({
    entryPoints: [join(REPO_ROOT, 'ats-auth.ts')],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target,
    outfile,
    // Not minified, so that the stack traces of --debug name our functions. Minifying
    // changed start-up by under 0.5 ms either way, within the benchmark's noise.
    minify: false,
    legalComments: 'none',
    charset: 'utf8',
    metafile: true,
    logLevel: 'warning',
  });

  const output = Object.values(result.metafile.outputs)[0];
  if (output === undefined) throw new Error(`esbuild wrote no output for ${outfile}`);

  return output.bytes;
}
