import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { IssuanceClock } from '../lib/server/clock.ts';

function recordingClock(storedUntilUs = 0) {
  const persisted: number[] = [];
  const clock = new IssuanceClock(storedUntilUs, async (untilUs) => {
    persisted.push(untilUs);
  });

  return { clock, persisted };
}

describe('IssuanceClock', () => {
  test('next() strictly increases within one microsecond', () => {
    const { clock } = recordingClock();
    let previous = 0;
    for (let call = 0; call < 10_000; call++) {
      const value = clock.next();
      assert.ok(value > previous, `call ${call}: ${value} after ${previous}`);
      previous = value;
    }
  });

  test('issue() stays after a not-before time in the future', () => {
    const { clock } = recordingClock();
    const futureUs = Date.now() * 1000 + 3_600e6;

    const first = clock.issue(futureUs).iatUs;
    const second = clock.issue(futureUs).iatUs;

    assert.equal(first, futureUs + 1);
    assert.equal(second, futureUs + 2);
  });

  test('issue() persists the bound once per second of tokens', async () => {
    const { clock, persisted } = recordingClock();
    const issued = Array.from({ length: 100 }, () => clock.issue(0));
    await Promise.all(issued.map((token) => token.covered));

    assert.equal(persisted.length, 1);
    for (const { iatUs } of issued) assert.ok(iatUs <= (persisted[0] ?? 0));
    assert.equal(clock.issue(0).covered, undefined);
  });

  test('issue() waits for no write under a stored bound', () => {
    const { clock, persisted } = recordingClock(Date.now() * 1000 + 60e6);

    assert.equal(clock.issue(0).covered, undefined);
    assert.deepEqual(persisted, []);
  });

  test('issue() retries the write after a failure', async () => {
    let calls = 0;
    const clock = new IssuanceClock(0, async () => {
      calls++;
      if (calls === 1) throw new Error('disk full');
    });

    await assert.rejects(clock.issue(0).covered ?? Promise.resolve(), /disk full/);
    await clock.issue(0).covered;

    assert.equal(calls, 2);
  });

  test('revocationPoint() covers tokens of this and earlier runs', () => {
    const earlierUs = Date.now() * 1000 + 2e6;
    const { clock } = recordingClock(earlierUs);

    const point = clock.revocationPoint();
    const after = clock.issue(0).iatUs;

    assert.ok(point >= earlierUs);
    assert.ok(after > point);
    assert.ok(clock.revocationPoint() > after);
  });
});
