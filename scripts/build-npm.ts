/**
 * Builds dist/npm/ats-auth.cjs, the `bin` of the npm package: the CLI bundled to one
 * CommonJS file. The package cannot ship the TypeScript sources as they are, because Node
 * does not strip types from files under node_modules.
 *
 * Usage: node scripts/build-npm.ts (run by `make npm-pack`)
 */

import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT, bundleCli } from './build-bundle.ts';

const OUTFILE = join(REPO_ROOT, 'dist', 'npm', 'ats-auth.cjs');
const SHEBANG = '#!/usr/bin/env node\n';

async function main(): Promise<void> {
  // The extension .cjs, because package.json has "type": "module". node24 is the oldest
  // Node that package.json "engines" accepts.
  const bytes = await bundleCli(OUTFILE, 'node24');

  // esbuild keeps the entry's shebang. npm links `bin` to this file, so it must come first.
  if (!readFileSync(OUTFILE, 'utf8').startsWith(SHEBANG)) {
    throw new Error(`${OUTFILE} does not start with ${JSON.stringify(SHEBANG)}`);
  }
  chmodSync(OUTFILE, 0o755);

  console.log(`Wrote dist/npm/ats-auth.cjs (${bytes} bytes)`);
}

await main();
