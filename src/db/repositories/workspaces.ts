import type { Db } from '../knex';

export interface WorkspaceRow {
  id: string;
  /** The SaaS's own customer id; usable wherever a workspace id is. */
  uid: string | null;
  name: string;
  notification_url: string | null;
  notification_kinds: string[] | null;
  enforce_event_catalog: boolean;
  /** Own limit of active webhooks; null = HOOKFLOW_MAX_WEBHOOKS. */
  max_active_webhooks: number | null;
  /** Temporal fairness weight of its deliveries (1 = an equal share of the task queue). */
  fairness_weight: number;
  created_at: Date;
  deleted_at: Date | null;
}

export const DEFAULT_WORKSPACE = 'ws_default';

const live = (db: Db) => db<WorkspaceRow>('workspaces').whereNull('deleted_at');

export async function ensureWorkspace(db: Db, id: string, name: string): Promise<WorkspaceRow> {
  await db('workspaces').insert({ id, name }).onConflict('id').ignore();
  return (await db<WorkspaceRow>('workspaces').where({ id }).first())!;
}

export async function getWorkspace(db: Db, id: string): Promise<WorkspaceRow | undefined> {
  return live(db).where({ id }).first();
}

/** By `ws_…` id or by uid (uids cannot start with `ws_`, so the two never collide). */
export async function findWorkspace(db: Db, idOrUid: string): Promise<WorkspaceRow | undefined> {
  return live(db)
    .where((q) => q.where({ id: idOrUid }).orWhere({ uid: idOrUid }))
    .first();
}

/** Undefined when the uid is taken. */
export async function insertWorkspace(
  db: Db,
  row: Pick<WorkspaceRow, 'id' | 'uid' | 'name' | 'max_active_webhooks' | 'fairness_weight'>,
): Promise<WorkspaceRow | undefined> {
  const [created] = await db('workspaces').insert(row).onConflict(db.raw('(uid)')).ignore().returning('*');
  return created;
}

/** Newest first; `before` is the id of the last item of the previous page. */
export async function listWorkspaces(db: Db, limit: number, before?: string): Promise<WorkspaceRow[]> {
  const q = live(db).orderBy('id', 'desc').limit(limit);
  if (before) q.where('id', '<', before);
  return q;
}

export type WorkspacePatch = Partial<
  Pick<
    WorkspaceRow,
    'uid' | 'name' | 'max_active_webhooks' | 'fairness_weight' | 'notification_url' | 'notification_kinds' | 'enforce_event_catalog'
  >
>;

/** Throws PostgreSQL's unique violation (23505) when the new uid is taken. */
export async function updateWorkspace(db: Db, id: string, patch: WorkspacePatch): Promise<WorkspaceRow | undefined> {
  if (!Object.keys(patch).length) return getWorkspace(db, id);
  const [row] = await live(db).where({ id }).update(patch).returning('*');
  return row;
}

/**
 * Soft delete: its keys are revoked and portal sessions removed at once, its webhooks disabled
 * (waiting deliveries end `abandoned` at their next wake-up); rows stay for the audit trail.
 * Returns the revoked key ids (to evict from the auth cache).
 */
export async function deleteWorkspace(db: Db, id: string): Promise<string[] | undefined> {
  return db.transaction(async (trx) => {
    const n = await trx('workspaces').where({ id }).whereNull('deleted_at').update({ deleted_at: trx.fn.now(), uid: null });
    if (!n) return undefined;
    await trx('webhooks')
      .where({ workspace_id: id, status: 'active' })
      .update({ status: 'disabled', disabled_reason: 'workspace deleted', updated_at: trx.fn.now() });
    await trx('portal_sessions').where({ workspace_id: id }).delete();
    const keys = await trx('api_keys')
      .where({ workspace_id: id })
      .whereNull('revoked_at')
      .update({ revoked_at: trx.fn.now() })
      .returning('id');
    return keys.map((k: { id: string }) => k.id);
  });
}

/** Sets a workspace's share of the delivery queue (paid tiers); false when there is no such workspace. */
export async function setFairnessWeight(db: Db, id: string, weight: number): Promise<boolean> {
  return (await db('workspaces').where({ id }).update({ fairness_weight: weight })) > 0;
}

/** A workspace's fairness weight (1 when the workspace is gone: its deliveries still run). */
export async function getFairnessWeight(db: Db, id: string): Promise<number> {
  const row = await db<WorkspaceRow>('workspaces').where({ id }).first('fairness_weight');
  return row?.fairness_weight ?? 1;
}
