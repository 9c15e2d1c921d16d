import type { Db } from '../knex';
import type { SlotState } from '../../delivery/throttle';

/** The webhook's send-slot row, locked until the transaction ends, and the database's clock. */
export async function lockSendSlots(trx: Db, webhookId: string): Promise<{ state: SlotState; now: number }> {
  await trx.raw(`INSERT INTO webhook_send_slots (webhook_id, next_slot_at) VALUES (?, '-infinity') ON CONFLICT (webhook_id) DO NOTHING`, [
    webhookId,
  ]);
  const { rows } = await trx.raw(
    `SELECT CASE WHEN next_slot_at = '-infinity' THEN NULL ELSE extract(epoch FROM next_slot_at) * 1000 END AS next_slot_at,
            ARRAY(SELECT extract(epoch FROM t) * 1000 FROM unnest(recent_sends) WITH ORDINALITY AS u(t, i) ORDER BY i) AS recent_sends
       FROM webhook_send_slots WHERE webhook_id = ? FOR UPDATE`,
    [webhookId],
  );
  // The clock is read once the lock is held: a value computed beside the locking row could be
  // from before a long wait for it, and would let this send in too early.
  const { rows: clock } = await trx.raw('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now');
  const row = rows[0];
  return {
    state: { nextSlotAt: row.next_slot_at === null ? null : Number(row.next_slot_at), recentSends: row.recent_sends.map(Number) },
    now: Number(clock[0].now),
  };
}

export async function saveSendSlots(trx: Db, webhookId: string, state: SlotState): Promise<void> {
  await trx.raw(
    `UPDATE webhook_send_slots
        SET next_slot_at = COALESCE(to_timestamp(?::double precision / 1000), '-infinity'),
            recent_sends = ARRAY(SELECT to_timestamp(t / 1000) FROM unnest(?::double precision[]) t)
      WHERE webhook_id = ?`,
    [state.nextSlotAt, state.recentSends, webhookId],
  );
}
