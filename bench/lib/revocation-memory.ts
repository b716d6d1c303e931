/**
 * Measures the memory that the revoked tokens of the database given as the first
 * argument take in one in-memory form, and prints one JSON line. Run it with --expose-gc,
 * once per form, each in a fresh process:
 *
 * - `set`: the server's RevocationSet, loaded as the server loads it at start;
 * - `map`: a Map from each key string to its expiry number, the form the set had before
 *   it became a table of 16-byte ids, kept here for comparison.
 *
 * The figure is the growth of V8 heap used plus external memory, which includes
 * ArrayBuffers, across the load, each side measured after two full garbage collections.
 *
 * Usage: node --expose-gc bench/lib/revocation-memory.ts DB set|map
 */

import { WriteBatcher } from '../../lib/store/batch.ts';
import { openDatabase } from '../../lib/store/db.ts';
import { RevocationSet } from '../../lib/store/revocation-set.ts';
import { RevocationTable } from '../../lib/store/revocations.ts';

const collect = (globalThis as { gc?: () => void }).gc;

function measureBytes(): number {
  collect?.();
  collect?.();
  const usage = process.memoryUsage();

  // external includes the ArrayBuffer memory that arrayBuffers reports on its own.
  return usage.heapUsed + usage.external;
}

function main(): void {
  const [dbPath, form] = process.argv.slice(2);
  if (collect === undefined) throw new Error('Run with node --expose-gc');
  if (dbPath === undefined || (form !== 'set' && form !== 'map')) {
    throw new TypeError('Usage: revocation-memory.ts DB set|map');
  }

  const store = openDatabase(dbPath, { busyTimeoutMs: 5000 });
  const table = new RevocationTable(store.db);
  const batcher = new WriteBatcher(store);
  const before = measureBytes();
  const started = performance.now();
  let count: number;
  let held: unknown;
  if (form === 'set') {
    const set = new RevocationSet(store, batcher);
    count = set.tokenCount;
    held = set;
  } else {
    const map = new Map<string, number>();
    for (const token of table.iterateTokens()) map.set(token.key, token.expiresAtUs);
    count = map.size;
    held = map;
  }
  const loadMs = performance.now() - started;
  const bytes = measureBytes() - before;

  process.stdout.write(`${JSON.stringify({ form, count, bytes, loadMs })}\n`);
  // Keeps the measured object alive until after the measurement.
  if (held === undefined) process.exitCode = 1;
  store.db.close();
}

main();
