import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runFuzz } from '../scripts/fuzz.ts';

// A fixed seed keeps the suite reproducible, and `node scripts/fuzz.ts` explores new seeds.
const SEED = 20_260_104;
const COUNT = 20_000;

test('fuzzed tokens keep every codec property', () => {
  const report = runFuzz({ seed: SEED, count: COUNT });
  const failures = report.failures.map(
    ({ index, problem }) => `${problem}: node scripts/fuzz.ts --seed ${SEED} --only ${index}`,
  );

  assert.equal(report.inputs, COUNT);
  assert.deepEqual(failures, []);
  const kinds = ['mutated token', 'random string', 'signed payload', 'signed header'] as const;
  for (const kind of kinds) {
    assert.ok((report.kinds.get(kind) ?? 0) > COUNT / 10, `too few ${kind} inputs`);
  }

  const outcomes = ['verified', 'ERR_TOKEN_MALFORMED', 'ERR_TOKEN_SIGNATURE', 'ERR_TOKEN_ALG'];
  for (const outcome of outcomes) {
    assert.ok((report.outcomes.get(outcome) ?? 0) > 0, `no input ended as ${outcome}`);
  }
});

test('same seed gives the same inputs', () => {
  const first = runFuzz({ seed: SEED, count: 500 });
  const second = runFuzz({ seed: SEED, count: 500 });

  assert.deepEqual([...second.outcomes], [...first.outcomes]);
  assert.deepEqual([...second.kinds], [...first.kinds]);
});
