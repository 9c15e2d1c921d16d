import { describe, expect, it } from 'vitest';
import { decideThrottle, THROTTLE_WINDOW_MS, type SlotState } from '../../src/delivery/throttle';

const T = 1_000_000;
const idle: SlotState = { nextSlotAt: null, recentSends: [] };
const interval5 = THROTTLE_WINDOW_MS / 5; // 220 ms at 5/s

describe('decideThrottle', () => {
  const table: [
    string,
    SlotState,
    number,
    number | null,
    { send: boolean; waitMs?: number; slotAt?: number; state?: SlotState },
    number?,
  ][] = [
    [
      'an idle endpoint sends at once and reserves the next slot',
      idle,
      T,
      null,
      { send: true, state: { nextSlotAt: T + interval5, recentSends: [T] } },
    ],
    [
      'a second fresh attempt at the same moment gets the next slot and waits for it',
      { nextSlotAt: T + interval5, recentSends: [T] },
      T,
      null,
      { send: false, waitMs: interval5, slotAt: T + interval5, state: { nextSlotAt: T + 2 * interval5, recentSends: [T] } },
    ],
    [
      'a third gets the slot after that (distinct slots: each waiting attempt wakes once)',
      { nextSlotAt: T + 2 * interval5, recentSends: [T] },
      T + 10,
      null,
      { send: false, waitMs: 2 * interval5 - 10, slotAt: T + 2 * interval5, state: { nextSlotAt: T + 3 * interval5, recentSends: [T] } },
    ],
    [
      'an attempt returning at its reserved slot sends and keeps the reservations of others',
      { nextSlotAt: T + 3 * interval5, recentSends: [T] },
      T + interval5,
      T + interval5,
      { send: true, state: { nextSlotAt: T + 3 * interval5, recentSends: [T, T + interval5] } },
    ],
    [
      'a slot long past is not reused: a fresh attempt after a quiet spell sends now',
      { nextSlotAt: T - 60_000, recentSends: [T - 61_000] },
      T,
      null,
      { send: true, state: { nextSlotAt: T + interval5, recentSends: [T - 61_000, T] } },
    ],
    [
      'the guard holds back a late slot holder: 5 sends in the window already',
      { nextSlotAt: T + 2000, recentSends: [T, T + 220, T + 440, T + 660, T + 880] },
      T + 900,
      T + 900,
      { send: false, waitMs: THROTTLE_WINDOW_MS - 900, slotAt: T + 900 },
    ],
    [
      'the guard lets it go once the oldest of the last 5 sends is a window old',
      { nextSlotAt: T + 2000, recentSends: [T, T + 220, T + 440, T + 660, T + 880] },
      T + THROTTLE_WINDOW_MS,
      T + 900,
      { send: true, state: { nextSlotAt: T + 2000, recentSends: [T + 220, T + 440, T + 660, T + 880, T + THROTTLE_WINDOW_MS] } },
    ],
    [
      'a timer that fires a few ms before its slot (clock skew) still sends',
      { nextSlotAt: T + 1000, recentSends: [] },
      T + 495,
      T + 500,
      { send: true },
    ],
    [
      'a returning attempt well before its slot waits the rest',
      { nextSlotAt: T + 1000, recentSends: [] },
      T + 100,
      T + 500,
      { send: false, waitMs: 400, slotAt: T + 500 },
    ],
    [
      '1 per second spaces sends 1.1 s apart',
      { nextSlotAt: T + 1100, recentSends: [T] },
      T + 5,
      null,
      { send: false, waitMs: 1095, slotAt: T + 1100 },
      1,
    ],
    [
      '100 per second: sends 11 ms apart, the guard counts 100',
      { nextSlotAt: null, recentSends: Array.from({ length: 99 }, (_, i) => T - 1000 + i) },
      T,
      null,
      { send: true },
      100,
    ],
  ];
  it.each(table)('%s', (_label, state, now, reserved, expected, rate = 5) => {
    expect(decideThrottle(state, now, rate, reserved)).toMatchObject(expected);
  });

  it('60 attempts arriving together get 60 distinct slots 220 ms apart, and no 6 sends fall within any second', () => {
    let state: SlotState = idle;
    const sends: number[] = [];
    const waiting: number[] = [];
    for (let i = 0; i < 60; i++) {
      const d = decideThrottle(state, T, 5, null);
      state = d.state;
      if (d.send) sends.push(T);
      else waiting.push(d.slotAt);
    }
    expect(new Set(waiting).size).toBe(59);
    // Each wakes at its slot, some late by up to 150 ms (a loaded worker): the guard holds the line.
    for (const [i, slot] of waiting.entries()) {
      let now = slot + ((i * 37) % 150);
      let d = decideThrottle(state, now, 5, slot);
      for (let tries = 0; !d.send && tries < 5; tries++) {
        now += d.waitMs;
        d = decideThrottle(state, now, 5, slot);
      }
      expect(d.send).toBe(true);
      state = d.state;
      sends.push(now);
    }
    sends.sort((a, b) => a - b);
    for (let i = 5; i < sends.length; i++) expect(sends[i] - sends[i - 5]).toBeGreaterThanOrEqual(1000);
    expect(sends[59] - sends[0]).toBeGreaterThanOrEqual(11_000);
  });
});
