import { describe, expect, it } from 'vitest';
import { AheadWindow, type AheadShare } from '../../src/services/ahead';

describe('AheadWindow (dispatch pacing)', () => {
  it('has room until `limit` starts are ahead, and again after a pickup', () => {
    const w = new AheadWindow(2, 5_000);
    expect(w.hasRoom(0)).toBe(true);
    w.add('a', 'ws', 0);
    expect(w.hasRoom(0)).toBe(true);
    w.add('b', 'ws', 0);
    expect(w.hasRoom(1)).toBe(false);
    expect(w.remove('a')).toBe(true);
    expect(w.remove('a')).toBe(false);
    expect(w.hasRoom(1)).toBe(true);
    expect(w.size).toBe(1);
  });

  it('forgets a start not picked up within expireMs (taken elsewhere), oldest first', () => {
    const w = new AheadWindow(2, 5_000);
    w.add('a', 'ws', 0);
    w.add('b', 'ws', 1_000);
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
    w.add('a', 'ws', 0);
    w.add('b', 'ws', 1_000);
    w.add('a', 'ws', 2_000);
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
      w.add(`p${i}`, 'ws', i * 100_000);
      expect(w.pickedUp(`p${i}`, i * 100_000 + 10_000)).toBe(true);
    }
    expect(w.currentExpiryMs).toBeGreaterThan(25_000);
    expect(w.currentExpiryMs).toBeLessThanOrEqual(30_000);
    w.add('slow', 'ws', 10_000_000);
    expect(w.hasRoom(10_000_000 + 20_000)).toBe(false);
    expect(w.hasRoom(10_000_000 + 31_000)).toBe(true);
    // Pickups that never come (`remove`: the start made nothing to pick up) do not count.
    w.add('gone', 'ws', 0);
    expect(w.remove('gone')).toBe(true);
    expect(w.pickedUp('gone', 1)).toBe(false);
  });

  it('keeps the expiry within [expireMs, maxExpireMs]', () => {
    const fast = new AheadWindow(1, 5_000, 60_000);
    fast.add('a', 'ws', 0);
    fast.pickedUp('a', 10);
    expect(fast.currentExpiryMs).toBe(5_000);
    const slow = new AheadWindow(1, 5_000, 60_000);
    for (let i = 0; i < 100; i++) {
      slow.add(`s${i}`, 'ws', 0);
      slow.pickedUp(`s${i}`, 600_000);
    }
    expect(slow.currentExpiryMs).toBe(60_000);
  });
  describe('per-workspace share (HOOKFLOW_DISPATCH_AHEAD_SHARED)', () => {
    const share: AheadShare = { limit: 2, activeMs: 2_000 };

    it('alone, one workspace fills the whole window', () => {
      const w = new AheadWindow(8, 5_000, 60_000, share);
      for (let i = 0; i < 8; i++) {
        expect(w.hasRoomFor('A', 0)).toBe(true);
        w.add(`a${i}`, 'A', 0);
      }
      expect(w.countOf('A')).toBe(8);
      expect(w.hasRoomFor('A', 0)).toBe(false);
    });

    it('while another workspace is active, each keeps at most its share; the other still gets in', () => {
      const w = new AheadWindow(8, 5_000, 60_000, share);
      w.add('b0', 'B', 0);
      expect(w.hasRoomFor('A', 10)).toBe(true);
      w.add('a0', 'A', 10);
      w.add('a1', 'A', 20);
      expect(w.hasRoomFor('A', 30)).toBe(false);
      expect(w.hasRoomFor('B', 30)).toBe(true);
      w.add('b1', 'B', 30);
      expect(w.hasRoomFor('B', 40)).toBe(false);
      // A pickup frees a place in that workspace's share only.
      expect(w.pickedUp('a0', 50)).toBe(true);
      expect(w.hasRoomFor('A', 60)).toBe(true);
      expect(w.hasRoomFor('B', 60)).toBe(false);
    });

    it('a workspace with a start still in the window counts as active, however old its start', () => {
      const w = new AheadWindow(8, 5_000, 60_000, share);
      w.add('b0', 'B', 0);
      w.add('a0', 'A', 3_000);
      w.add('a1', 'A', 3_000);
      // B's last start is 3 s old (past activeMs) but still waits for its pickup.
      expect(w.hasRoomFor('A', 3_000)).toBe(false);
      expect(w.pickedUp('b0', 3_100)).toBe(true);
      expect(w.hasRoomFor('A', 3_100)).toBe(true);
    });

    it('a workspace whose starts were all picked up stops counting activeMs after its latest start', () => {
      const w = new AheadWindow(8, 5_000, 60_000, share);
      w.add('b0', 'B', 1_000);
      w.pickedUp('b0', 1_050);
      w.add('a0', 'A', 1_100);
      w.add('a1', 'A', 1_100);
      expect(w.hasRoomFor('A', 2_999)).toBe(false);
      expect(w.hasRoomFor('A', 3_000)).toBe(true);
      for (let i = 2; i < 8; i++) w.add(`a${i}`, 'A', 3_000);
      expect(w.hasRoomFor('A', 3_000)).toBe(false);
      // B comes back: it is let in (window permitting), and A is held to its share again.
      w.pickedUp('a7', 3_100);
      expect(w.hasRoomFor('B', 3_100)).toBe(true);
      w.add('b1', 'B', 3_100);
      w.pickedUp('a6', 3_200);
      expect(w.hasRoomFor('A', 3_200)).toBe(false);
    });

    it('expired entries stop counting toward a share', () => {
      const w = new AheadWindow(8, 5_000, 60_000, share);
      w.add('b0', 'B', 0);
      w.add('a0', 'A', 0);
      w.add('a1', 'A', 0);
      expect(w.hasRoomFor('A', 1_000)).toBe(false);
      // At 5 s all three expire: B is neither waiting nor recent, A is alone again.
      expect(w.hasRoomFor('A', 5_000)).toBe(true);
      expect(w.countOf('A')).toBe(0);
      expect(w.countOf('B')).toBe(0);
    });

    it('does not count another workspace that has a backlog of its own: the weighted turns share the window', () => {
      const w = new AheadWindow(8, 5_000, 60_000, share);
      w.add('b0', 'B', 0);
      const backlogged = new Set(['A', 'B']);
      const isBacklogged = (ws: string) => backlogged.has(ws);
      // Both wait for their turns in the dispatcher: A goes past its share, up to the window.
      let a = 0;
      while (a < 100 && w.hasRoomFor('A', 10, isBacklogged)) w.add(`a${a++}`, 'A', 10);
      expect(a).toBe(7);
      // B's backlog is done (a light publisher again): A is held to its share.
      backlogged.delete('B');
      for (let i = 0; i < 4; i++) w.pickedUp(`a${i}`, 20);
      expect(w.countOf('A')).toBe(3);
      expect(w.hasRoomFor('A', 20, isBacklogged)).toBe(false);
      expect(w.hasRoomFor('B', 20, isBacklogged)).toBe(true);
      // And without B in the window or lately started, A has the window again.
      w.pickedUp('b0', 30);
      expect(w.hasRoomFor('A', 2_000, isBacklogged)).toBe(true);
    });

    it('forgets workspaces that stopped publishing, however many came and went', () => {
      const w = new AheadWindow(8, 5_000, 60_000, share);
      for (let i = 0; i < 10_000; i++) {
        w.add(`d${i}`, `ws${i}`, i * 1_000);
        w.pickedUp(`d${i}`, i * 1_000 + 10);
      }
      // Only the workspaces of the last 2 s are remembered as active.
      expect(w.rememberedActive).toBeLessThanOrEqual(2);
      expect(w.size).toBe(0);
    });

    it('without a share, a workspace is limited by the window alone', () => {
      const w = new AheadWindow(3, 5_000);
      w.add('b0', 'B', 0);
      for (let i = 0; i < 2; i++) w.add(`a${i}`, 'A', 0);
      expect(w.hasRoomFor('A', 0)).toBe(false);
      w.pickedUp('b0', 10);
      expect(w.hasRoomFor('A', 10)).toBe(true);
      w.add('a2', 'A', 10);
      expect(w.countOf('A')).toBe(3);
    });
  });
});
