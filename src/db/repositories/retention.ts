import type { Db } from '../knex';

export interface PurgedRows {
  events: number;
  deliveries: number;
  attempts: number;
  notifications: number;
  idempotencyKeys: number;
}

/**
 * Deletes up to `batch` events created before `cutoff`, with their deliveries and attempts, in
 * one short statement. Events with a delivery still in progress (pending, retrying) are kept
 * until it finishes; rows another transaction holds are skipped, not waited for.
 */
export async function purgeEventBatch(
  db: Db,
  cutoff: Date,
  batch: number,
): Promise<Pick<PurgedRows, 'events' | 'deliveries' | 'attempts'>> {
  const result = await db.raw(
    `WITH e AS (
       SELECT id FROM events ev
        WHERE created_at < ?
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = ev.id AND d.status IN ('pending', 'retrying'))
        ORDER BY created_at
        LIMIT ?
        FOR UPDATE SKIP LOCKED
     ), d AS (
       DELETE FROM deliveries WHERE event_id IN (SELECT id FROM e) RETURNING id
     ), a AS (
       DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM d) RETURNING 1
     ), x AS (
       DELETE FROM events WHERE id IN (SELECT id FROM e) RETURNING 1
     )
     SELECT (SELECT count(*) FROM x)::int AS events, (SELECT count(*) FROM d)::int AS deliveries, (SELECT count(*) FROM a)::int AS attempts`,
    [cutoff, batch],
  );
  return result.rows[0];
}

/** Deletes up to `batch` rows of a table keyed by `created_at`, oldest first. */
async function purgeByCreatedAt(db: Db, table: 'notifications' | 'idempotency_keys', cutoff: Date, batch: number): Promise<number> {
  const result = await db.raw(
    `DELETE FROM ?? WHERE ctid IN (SELECT ctid FROM ?? WHERE created_at < ? ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED)`,
    [table, table, cutoff, batch],
  );
  return result.rowCount ?? 0;
}

export const purgeNotificationBatch = (db: Db, cutoff: Date, batch: number) => purgeByCreatedAt(db, 'notifications', cutoff, batch);
export const purgeIdempotencyKeyBatch = (db: Db, cutoff: Date, batch: number) => purgeByCreatedAt(db, 'idempotency_keys', cutoff, batch);
