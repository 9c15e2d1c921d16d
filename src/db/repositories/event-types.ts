import type { Db } from '../knex';

export interface EventTypeRow {
  workspace_id: string;
  name: string;
  description: string;
  schema: Record<string, unknown> | null;
  created_at: Date;
}

/** Inserts or, when `replace`, updates; returns the row and whether it was new. */
export async function upsertEventType(
  db: Db,
  row: Omit<EventTypeRow, 'created_at'>,
  replace: boolean,
): Promise<{ row: EventTypeRow; created: boolean }> {
  const values = { ...row, schema: row.schema === null ? null : JSON.stringify(row.schema) };
  const q = db('event_types').insert(values).onConflict(['workspace_id', 'name']);
  const inserted = await (replace ? q.merge(['description', 'schema']) : q.ignore()).returning('*');
  if (inserted.length) return { row: inserted[0], created: true };
  return { row: (await getEventType(db, row.workspace_id, row.name))!, created: false };
}

export async function getEventType(db: Db, workspaceId: string, name: string): Promise<EventTypeRow | undefined> {
  return db<EventTypeRow>('event_types').where({ workspace_id: workspaceId, name }).first();
}

export async function listEventTypes(db: Db, workspaceId: string, limit: number, after?: string): Promise<EventTypeRow[]> {
  const q = db<EventTypeRow>('event_types').where({ workspace_id: workspaceId }).orderBy('name').limit(limit);
  if (after) q.where('name', '>', after);
  return q;
}
