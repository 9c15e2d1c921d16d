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
});
