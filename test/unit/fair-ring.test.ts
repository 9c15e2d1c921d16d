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

  it('gives a key that joins after being idle the next turn, ahead of a busy key', () => {
    const ring = new FairRing();
    ring.join('busy', 1);
    for (let i = 0; i < 1000; i++) ring.join(ring.take()!, 1);
    ring.join('quiet', 1);
    expect(ring.take()).toBe('quiet');
  });

  it('then shares by weight: going idle forfeits turns instead of saving them up', () => {
    const ring = new FairRing();
    ring.join('busy', 1);
    for (let i = 0; i < 1000; i++) ring.join(ring.take()!, 1);
    // 'quiet' comes back with six deliveries after 1000 of busy's turns.
    let quietLeft = 6;
    ring.join('quiet', 1);
    const order: string[] = [];
    for (let i = 0; i < 12; i++) {
      const k = ring.take()!;
      order.push(k);
      if (k === 'busy' || --quietLeft > 0) ring.join(k, 1);
    }
    expect(order.join(' ')).toBe('quiet busy quiet busy quiet busy quiet busy quiet busy quiet busy');
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

  it('orders many keys by their turns (heap): joiners in order, then by weight', () => {
    const ring = new FairRing();
    const weight = (i: number) => 1 + (i % 4);
    for (let i = 0; i < 500; i++) ring.join(`k${i}`, weight(i));
    const order: number[] = [];
    const seen = new Set<string>();
    for (let k = ring.take(); k !== undefined; k = ring.take()) {
      order.push(Number(k.slice(1)));
      // Each key has two deliveries: it joins again after its first turn.
      if (!seen.has(k)) ring.join(k, weight(Number(k.slice(1))));
      seen.add(k);
    }
    expect(order).toHaveLength(1000);
    // First turns at the same virtual time, in join order; second turns 1/weight later:
    // weight 4 first, then 3, 2, 1, each in join order.
    const keys = [...Array(500).keys()];
    expect(order).toEqual([...keys, ...[...keys].sort((a, b) => weight(b) - weight(a) || a - b)]);
  });

  it('passes over the keys that `allowed` refuses, which keep their turns', () => {
    const ring = new FairRing();
    for (const k of ['a', 'b', 'c']) ring.join(k);
    expect(ring.take((k) => k !== 'a')).toBe('b');
    expect(ring.take((k) => k === 'z')).toBeUndefined();
    expect([ring.take(), ring.take(), ring.take()]).toEqual(['a', 'c', undefined]);
  });
});
