import type { Db } from '../db/knex';
import * as retention from '../db/repositories/retention';
import type { PurgedRows } from '../db/repositories/retention';

/** Stored responses of Idempotency-Key are only ever read within this window. */
const IDEMPOTENCY_KEEP_MS = 24 * 3_600_000;

export interface PurgeInput {
  retentionDays: number;
  /** Rows per statement: small, so each delete holds its locks briefly. */
  batch?: number;
  /** Stop after this long and report `more`; the caller runs another pass. */
  budgetMs?: number;
}

export interface PurgeResult extends PurgedRows {
  /** Whether rows past the cutoff may remain (the budget ran out). */
  more: boolean;
  ms: number;
}

/**
 * One purge pass: events (with deliveries and attempts) and notifications older than the
 * retention, and idempotency keys older than 24 h, in batches until none are left or the
 * budget is spent. `beat` is called between batches (the activity heartbeats).
 */
export async function purgeExpired(
  db: Db,
  input: PurgeInput,
  now: number,
  beat: (progress: PurgedRows) => void = () => {},
): Promise<PurgeResult> {
  const batch = input.batch ?? 500;
  const budgetMs = input.budgetMs ?? 30_000;
  const started = Date.now();
  const total: PurgedRows = { events: 0, deliveries: 0, attempts: 0, notifications: 0, idempotencyKeys: 0 };
  const cutoff = new Date(now - input.retentionDays * 86_400_000);
  const steps: (() => Promise<number>)[] = [
    async () => {
      const r = await retention.purgeEventBatch(db, cutoff, batch);
      total.events += r.events;
      total.deliveries += r.deliveries;
      total.attempts += r.attempts;
      return r.events;
    },
    async () => {
      const n = await retention.purgeNotificationBatch(db, cutoff, batch);
      total.notifications += n;
      return n;
    },
    async () => {
      const n = await retention.purgeIdempotencyKeyBatch(db, new Date(now - IDEMPOTENCY_KEEP_MS), batch);
      total.idempotencyKeys += n;
      return n;
    },
  ];
  let more = false;
  for (const step of steps) {
    for (;;) {
      if (Date.now() - started > budgetMs) {
        more = true;
        break;
      }
      const n = await step();
      beat(total);
      if (n < batch) break;
    }
  }
  return { ...total, more, ms: Date.now() - started };
}
