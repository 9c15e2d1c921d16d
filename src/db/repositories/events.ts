import type { Db } from '../knex';

export interface EventRow {
  id: string;
  workspace_id: string;
  type: string;
  payload: unknown;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: Date;
  dispatched_at: Date | null;
}

/** Inserts the event unless the workspace already has one with this idempotency key. */
export async function insertEvent(db: Db, row: Omit<EventRow, 'created_at' | 'dispatched_at'>): Promise<EventRow | undefined> {
  const [created] = await db('events')
    .insert({ ...row, payload: JSON.stringify(row.payload) })
    .onConflict(db.raw('(workspace_id, idempotency_key)'))
    .ignore()
    .returning('*');
  return created;
}

export async function getEvent(db: Db, workspaceId: string, id: string): Promise<EventRow | undefined> {
  return db<EventRow>('events').where({ workspace_id: workspaceId, id }).first();
}

export async function getEventByIdempotencyKey(db: Db, workspaceId: string, key: string): Promise<EventRow | undefined> {
  return db<EventRow>('events').where({ workspace_id: workspaceId, idempotency_key: key }).first();
}

/** Idempotency keys are kept 24 h; older events free their key for reuse. */
export async function expireIdempotencyKeys(db: Db): Promise<number> {
  return db('events').whereNotNull('idempotency_key').where('created_at', '<', db.raw("now() - interval '24 hours'")).update({ idempotency_key: null });
}

export async function markDispatched(db: Db, ids: string[]): Promise<void> {
  if (ids.length) await db('events').whereIn('id', ids).whereNull('dispatched_at').update({ dispatched_at: db.fn.now() });
}

/** Events accepted more than `olderThanS` seconds ago whose workflows may not have started. */
export async function listUndispatched(db: Db, olderThanS: number, limit = 500): Promise<Pick<EventRow, 'id' | 'workspace_id'>[]> {
  return db<EventRow>('events')
    .whereNull('dispatched_at')
    .where('created_at', '<', db.raw(`now() - make_interval(secs => ?)`, [olderThanS]))
    .orderBy('created_at')
    .limit(limit)
    .select('id', 'workspace_id');
}
