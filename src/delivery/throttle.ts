import type { Db } from '../db/knex';
import * as sendSlots from '../db/repositories/send-slots';

/**
 * Per-endpoint throttling (`rate_limit_per_s`). Sends to a throttled webhook are spaced
 * `THROTTLE_WINDOW_MS / rate` apart, which keeps it at `rate` per second with 10 % headroom
 * for network jitter between our send and its arrival. Nothing blocks while waiting: an attempt
 * that may not send yet returns how long to wait, and the workflow sleeps on a durable timer.
 *
 * Two rules, both on the database clock so any number of workers share them:
 * - a reservation: a fresh attempt takes the next free slot (`nextSlotAt`, advanced by one
 *   interval per reservation), so N waiting deliveries get N distinct slots and each wakes once;
 * - a guard at send time: at most `rate` sends within one window, so attempts whose timers fire
 *   late cannot bunch up with the ones after them.
 */
export const THROTTLE_WINDOW_MS = 1100;
/** A returning attempt whose timer fired a hair before its slot (clocks of two hosts) goes on. */
const SLOT_TOLERANCE_MS = 20;

export interface SlotState {
  /** Epoch ms of the next free slot, or null when none was ever reserved. */
  nextSlotAt: number | null;
  /** Epoch ms of the latest sends (at most `rate` of them), oldest first. */
  recentSends: number[];
}

export type ThrottleDecision = { send: true; state: SlotState } | { send: false; waitMs: number; slotAt: number; state: SlotState };

/**
 * Whether an attempt may send now. `reservedSlotAt` is the slot this attempt reserved before
 * sleeping (null for a fresh attempt, which reserves one now).
 */
export function decideThrottle(state: SlotState, now: number, ratePerS: number, reservedSlotAt: number | null): ThrottleDecision {
  const interval = THROTTLE_WINDOW_MS / ratePerS;
  let next = state.nextSlotAt;
  let slot = reservedSlotAt;
  if (slot === null) {
    slot = Math.max(next ?? now, now);
    next = slot + interval;
  }
  const reserved = { ...state, nextSlotAt: next };
  if (slot > now + (reservedSlotAt === null ? 0 : SLOT_TOLERANCE_MS))
    return { send: false, waitMs: Math.ceil(slot - now), slotAt: slot, state: reserved };
  const recent = state.recentSends.slice(-ratePerS);
  if (recent.length >= ratePerS && now - recent[0] < THROTTLE_WINDOW_MS) {
    return { send: false, waitMs: Math.ceil(recent[0] + THROTTLE_WINDOW_MS - now), slotAt: slot, state: reserved };
  }
  return { send: true, state: { nextSlotAt: next, recentSends: [...recent, now].slice(-ratePerS) } };
}

/** Applies `decideThrottle` to the webhook's slot row atomically (a short row lock, no I/O inside). */
export async function takeSendSlot(
  db: Db,
  webhookId: string,
  ratePerS: number,
  reservedSlotAt: number | null,
): Promise<ThrottleDecision & { now: number }> {
  return db.transaction(async (trx) => {
    const { state, now } = await sendSlots.lockSendSlots(trx, webhookId);
    const decision = decideThrottle(state, now, ratePerS, reservedSlotAt);
    await sendSlots.saveSendSlots(trx, webhookId, decision.state);
    return { ...decision, now };
  });
}
