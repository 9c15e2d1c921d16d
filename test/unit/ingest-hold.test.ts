import { describe, expect, it } from 'vitest';
import { IngestHold } from '../../src/services/ingest-hold';

const opts = { quietMs: 50, maxHoldMs: 2_000, minRunMs: 250 };

/** Runs a script of [time, 'note' | 'wait' | 'urgent'] steps and returns each wait's answer. */
function run(steps: [number, 'note' | 'wait' | 'urgent'][]): number[] {
  const h = new IngestHold(opts);
  const out: number[] = [];
  for (const [t, op] of steps) {
    if (op === 'note') h.note(t);
    else out.push(h.waitMs(t, op === 'urgent'));
  }
  return out;
}

describe('IngestHold (ingest first)', () => {
  it.each<[string, [number, 'note' | 'wait' | 'urgent'][], number[]]>([
    ['no burst: starts go at once', [[0, 'wait']], [0]],
    [
      'a burst holds starts until it has been quiet for quietMs',
      [
        [0, 'note'],
        [10, 'wait'],
        [40, 'note'],
        [60, 'wait'],
        [95, 'wait'],
      ],
      [40, 30, 0],
    ],
    [
      'a burst that goes on is held at most maxHoldMs, then starts run for minRunMs',
      [
        [0, 'note'],
        [0, 'wait'],
        [1_990, 'note'],
        [1_990, 'wait'],
        [2_000, 'note'],
        [2_000, 'wait'],
        [2_100, 'note'],
        [2_100, 'wait'],
        [2_250, 'note'],
        [2_250, 'wait'],
      ],
      [50, 10, 0, 0, 50],
    ],
    [
      'a full backlog (urgent) ends a hold at once',
      [
        [0, 'note'],
        [10, 'urgent'],
        [20, 'wait'],
      ],
      [0, 30],
    ],
    [
      'after a quiet gap a new burst holds again',
      [
        [0, 'note'],
        [100, 'wait'],
        [500, 'note'],
        [510, 'wait'],
      ],
      [0, 40],
    ],
  ])('%s', (_name, steps, waits) => {
    expect(run(steps)).toEqual(waits);
  });
});
