import { describe, expect, it } from 'vitest';
import { AheadWindow } from '../../src/services/ahead';

describe('AheadWindow (dispatch pacing)', () => {
  it('has room until `limit` starts are ahead, and again after a pickup', () => {
    const w = new AheadWindow(2, 5_000);
    expect(w.hasRoom(0)).toBe(true);
    w.add('a', 0);
    expect(w.hasRoom(0)).toBe(true);
    w.add('b', 0);
    expect(w.hasRoom(1)).toBe(false);
    expect(w.remove('a')).toBe(true);
    expect(w.remove('a')).toBe(false);
    expect(w.hasRoom(1)).toBe(true);
    expect(w.size).toBe(1);
  });

  it('forgets a start not picked up within expireMs (taken elsewhere), oldest first', () => {
    const w = new AheadWindow(2, 5_000);
    w.add('a', 0);
    w.add('b', 1_000);
    expect(w.nextExpiry()).toBe(5_000);
    expect(w.hasRoom(4_999)).toBe(false);
    expect(w.hasRoom(5_000)).toBe(true);
    expect(w.size).toBe(1);
    expect(w.nextExpiry()).toBe(6_000);
    expect(w.hasRoom(6_000)).toBe(true);
    expect(w.size).toBe(0);
    expect(w.nextExpiry()).toBeNull();
  });

  it('a start made again counts once, from its latest time', () => {
    const w = new AheadWindow(2, 5_000);
    w.add('a', 0);
    w.add('b', 1_000);
    w.add('a', 2_000);
    expect(w.size).toBe(2);
    expect(w.nextExpiry()).toBe(6_000);
    expect(w.hasRoom(6_000)).toBe(true);
    expect(w.size).toBe(1);
    expect(w.remove('a')).toBe(true);
  });

  it('a limit of 0 never has room (callers turn pacing off instead)', () => {
    expect(new AheadWindow(0, 5_000).hasRoom(0)).toBe(false);
  });

  it('waits longer for an overloaded worker: the expiry follows 3x the recent pickup delay, within bounds', () => {
    const w = new AheadWindow(1, 5_000, 60_000);
    // Pickups 10 s after their start (an overloaded worker) lengthen the expiry past 5 s.
    for (let i = 0; i < 50; i++) {
      w.add(`p${i}`, i * 100_000);
      expect(w.pickedUp(`p${i}`, i * 100_000 + 10_000)).toBe(true);
    }
    expect(w.currentExpiryMs).toBeGreaterThan(25_000);
    expect(w.currentExpiryMs).toBeLessThanOrEqual(30_000);
    w.add('slow', 10_000_000);
    expect(w.hasRoom(10_000_000 + 20_000)).toBe(false);
    expect(w.hasRoom(10_000_000 + 31_000)).toBe(true);
    // Pickups that never come (`remove`: the start made nothing to pick up) do not count.
    w.add('gone', 0);
    expect(w.remove('gone')).toBe(true);
    expect(w.pickedUp('gone', 1)).toBe(false);
  });

  it('keeps the expiry within [expireMs, maxExpireMs]', () => {
    const fast = new AheadWindow(1, 5_000, 60_000);
    fast.add('a', 0);
    fast.pickedUp('a', 10);
    expect(fast.currentExpiryMs).toBe(5_000);
    const slow = new AheadWindow(1, 5_000, 60_000);
    for (let i = 0; i < 100; i++) {
      slow.add(`s${i}`, 0);
      slow.pickedUp(`s${i}`, 600_000);
    }
    expect(slow.currentExpiryMs).toBe(60_000);
  });
});
