import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/batcher';

/** A flush that records its batches and finishes when told to. */
function recorder(opts: { fail?: (items: number[]) => boolean } = {}) {
  const batches: number[][] = [];
  const release: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  const flush = async (items: number[]) => {
    batches.push(items);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((resolve) => release.push(resolve));
    running--;
    if (opts.fail?.(items)) throw new Error(`batch ${items.join(',')} failed`);
    return items.map((i) => i * 10);
  };
  return { flush, batches, release, maxRunning: () => maxRunning };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Batcher (group commit)', () => {
  it('flushes a lone call on the next turn, alone', async () => {
    const r = recorder();
    const b = new Batcher(r.flush, { maxBatch: 10, maxInFlight: 1 });
    const p = b.add(1);
    await turn();
    expect(r.batches).toEqual([[1]]);
    r.release.shift()!();
    expect(await p).toBe(10);
  });

  it('gathers the calls made while a flush runs into the next flush, in order, each answered with its own result', async () => {
    const r = recorder();
    const b = new Batcher(r.flush, { maxBatch: 10, maxInFlight: 1 });
    const first = b.add(1);
    await turn();
    const rest = [2, 3, 4, 5].map((i) => b.add(i));
    await turn();
    expect(r.batches).toEqual([[1]]);
    r.release.shift()!();
    await first;
    await turn();
    expect(r.batches).toEqual([[1], [2, 3, 4, 5]]);
    r.release.shift()!();
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
  });

  it('bounds a batch by count and by size, and runs at most maxInFlight flushes at once', async () => {
    const r = recorder();
    const b = new Batcher(r.flush, { maxBatch: 3, maxInFlight: 2, sizeOf: (i) => i, maxSize: 10 });
    const all = [1, 2, 3, 4, 9, 20, 1].map((i) => b.add(i));
    await turn();
    // Same turn: two flushes start at once, the rest waits for one of them.
    expect(r.batches).toEqual([[1, 2, 3], [4]]);
    while (r.release.length) {
      r.release.shift()!();
      await turn();
      await turn();
    }
    await Promise.all(all);
    // 9 does not fit beside 4 (size 10), 20 goes alone although it is larger than the bound.
    expect(r.batches).toEqual([[1, 2, 3], [4], [9], [20], [1]]);
    expect(r.maxRunning()).toBe(2);
  });

  it('rejects every call of a failed flush and goes on with the next batch', async () => {
    const r = recorder({ fail: (items) => items.includes(2) });
    const b = new Batcher(r.flush, { maxBatch: 2, maxInFlight: 1 });
    const calls = [1, 2, 3].map((i) => b.add(i));
    const settled = Promise.allSettled(calls);
    for (let i = 0; i < 2; i++) {
      await turn();
      r.release.shift()!();
      await turn();
    }
    const out = await settled;
    expect(out.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((out[0] as PromiseRejectedResult).reason.message).toBe('batch 1,2 failed');
    expect((out[2] as PromiseFulfilledResult<number>).value).toBe(30);
  });
});
