import { describe, expect, it } from 'vitest';
import { FairRing } from '../../src/services/fair-ring';

/** Takes `n` turns from a ring where every key always has more work (it joins again). */
function turns(weights: Record<string, number>, n: number): string[] {
  const ring = new FairRing();
  for (const [k, w] of Object.entries(weights)) ring.join(k, w);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = ring.take()!;
    out.push(k);
    ring.join(k, weights[k]);
  }
  return out;
}

const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

describe('FairRing (the dispatcher: whose start is next)', () => {
  it('takes turns in join order when the weights are equal (round robin)', () => {
    expect(turns({ a: 1, b: 1, c: 1 }, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it.each<[Record<string, number>, number, Record<string, number>]>([
    [{ a: 3, b: 1 }, 40, { a: 30, b: 10 }],
    [{ a: 1, b: 3 }, 40, { a: 10, b: 30 }],
    [{ a: 2, b: 1, c: 1 }, 40, { a: 20, b: 10, c: 10 }],
    [{ paid: 10, free: 1 }, 110, { paid: 100, free: 10 }],
    [{ a: 0.5, b: 1 }, 30, { a: 10, b: 20 }],
  ])('weights %j: %i turns split %j', (weights, n, expected) => {
    expect(count(turns(weights, n))).toEqual(expected);
  });

  it('spreads the heavier key over the round instead of bunching it', () => {
    // Weight 3 against 1: never more than three of a's turns in a row.
    expect(turns({ a: 3, b: 1 }, 40).join('')).not.toMatch(/aaaa/);
  });

  it('gives a key that joins late its turn within one round, not after the others drain', () => {
    const ring = new FairRing();
    ring.join('busy', 1);
    for (let i = 0; i < 1000; i++) ring.join(ring.take()!, 1);
    ring.join('quiet', 1);
    const next = [ring.take(), ring.take()];
    expect(next).toContain('quiet');
  });

  it('keeps one place per key, and empties', () => {
    const ring = new FairRing();
    ring.join('a');
    ring.join('a', 5);
    expect(ring.size).toBe(1);
    expect(ring.has('a')).toBe(true);
    expect(ring.take()).toBe('a');
    expect(ring.has('a')).toBe(false);
    expect(ring.take()).toBeUndefined();
  });

  it('treats a missing or invalid weight as 1', () => {
    expect(count(turns({ a: Number.NaN, b: 1 }, 20))).toEqual({ a: 10, b: 10 });
    expect(count(turns({ a: 0, b: 1 }, 20))).toEqual({ a: 10, b: 10 });
  });

  it('orders many keys by their next turn (heap), joiners in order on a tie', () => {
    const ring = new FairRing();
    const weight = (i: number) => 1 + (i % 4);
    for (let i = 0; i < 500; i++) ring.join(`k${i}`, weight(i));
    const order: number[] = [];
    for (let k = ring.take(); k !== undefined; k = ring.take()) order.push(Number(k.slice(1)));
    expect(order).toHaveLength(500);
    // Weight 4 first (turn at 1/4), then 3, 2, 1; within a weight, in join order.
    const expected = [...Array(500).keys()].sort((a, b) => weight(b) - weight(a) || a - b);
    expect(order).toEqual(expected);
  });
});
