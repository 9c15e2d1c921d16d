import type { ContentFilter } from '../../domain/content-filter';
import type { Db } from '../knex';
import { whereTypeMatches } from './deliveries';

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
  return db('events')
    .whereNotNull('idempotency_key')
    .where('created_at', '<', db.raw("now() - interval '24 hours'"))
    .update({ idempotency_key: null });
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

/** What publishing an event needs of its workspace. */
export interface PublishContext {
  enforceCatalog: boolean;
  /** The workspace's Temporal fairness weight, carried by its deliveries' workflows. */
  fairnessWeight: number;
  /** The catalog entry of this type, if any. */
  eventType: { name: string; schema: Record<string, unknown> | null } | null;
  /**
   * Active webhooks, and disabled ones (their matching events are recorded as `skipped`); the
   * caller filters them by subscription pattern and content filter.
   */
  webhooks: {
    id: string;
    events: string[];
    name: string;
    url: string;
    profile: string;
    max_attempts: number;
    status: 'active' | 'disabled';
    filter: ContentFilter | null;
  }[];
}

/** One (workspace, event type) whose publish context is wanted. */
export interface PublishKey {
  workspaceId: string;
  type: string;
}

/**
 * What publishing needs of each (workspace, type), in one round trip for all of them; aligned
 * with `keys` (undefined: no such workspace).
 */
export async function loadPublishContexts(db: Db, keys: PublishKey[]): Promise<(PublishContext | undefined)[]> {
  if (!keys.length) return [];
  const result = await db.raw(
    `SELECT q.ord, w.enforce_event_catalog, w.fairness_weight, et.name AS et_name, et.schema AS et_schema,
            COALESCE((SELECT json_agg(json_build_object('id', h.id, 'events', h.events, 'name', h.name, 'url', h.url, 'profile', h.profile, 'max_attempts', h.max_attempts, 'status', h.status, 'filter', h.filter) ORDER BY h.id)
                        FROM webhooks h
                       WHERE h.workspace_id = w.id AND h.status IN ('active', 'disabled') AND NOT h.is_system AND h.deleted_at IS NULL), '[]') AS webhooks
       FROM json_to_recordset(?) AS q(ord int, workspace_id text, type text)
       JOIN workspaces w ON w.id = q.workspace_id
       LEFT JOIN event_types et ON et.workspace_id = w.id AND et.name = q.type`,
    [JSON.stringify(keys.map((k, ord) => ({ ord, workspace_id: k.workspaceId, type: k.type })))],
  );
  const out: (PublishContext | undefined)[] = keys.map(() => undefined);
  for (const row of result.rows) {
    out[row.ord] = {
      enforceCatalog: row.enforce_event_catalog,
      fairnessWeight: row.fairness_weight,
      eventType: row.et_name ? { name: row.et_name, schema: row.et_schema } : null,
      webhooks: row.webhooks,
    };
  }
  return out;
}

/** `skipped`: the webhook is disabled; the row waits for recover/replay and starts no workflow. */
export type NewDelivery = { id: string; webhook_id: string; workflow_id: string; status: 'pending' | 'skipped' };

export interface NewEvent {
  event: Omit<EventRow, 'created_at' | 'dispatched_at'>;
  deliveries: NewDelivery[];
}

/**
 * Events and their deliveries in one statement (atomic, one round trip, one commit), keyed by
 * event id. An event whose workspace already has one with its idempotency key is not inserted,
 * nor are its deliveries: it is missing from the result. The keys must be distinct within the
 * call (a key seen twice in one statement would be inserted once, silently).
 */
export async function insertEventsWithDeliveries(db: Db, items: NewEvent[]): Promise<Map<string, EventRow>> {
  if (!items.length) return new Map();
  const result = await db.raw(
    `WITH e AS (
       INSERT INTO events (id, workspace_id, type, payload, idempotency_key, request_hash)
       SELECT x.id, x.workspace_id, x.type, x.payload, x.idempotency_key, x.request_hash
         FROM json_to_recordset(?) AS x(ord int, id text, workspace_id text, type text, payload jsonb, idempotency_key text, request_hash text)
        ORDER BY x.ord
       ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
       RETURNING *
     ), d AS (
       INSERT INTO deliveries (id, workspace_id, event_id, webhook_id, event_type, is_test, workflow_id, status)
       SELECT y.id, e.workspace_id, e.id, y.webhook_id, e.type, false, y.workflow_id, y.status
         FROM e JOIN json_to_recordset(?) AS y(id text, event_id text, webhook_id text, workflow_id text, status text) ON y.event_id = e.id
       RETURNING id
     )
     SELECT * FROM e`,
    [
      JSON.stringify(items.map(({ event: r }, ord) => ({ ord, ...r }))),
      JSON.stringify(items.flatMap(({ event, deliveries }) => deliveries.map((d) => ({ ...d, event_id: event.id })))),
    ],
  );
  // The deliveries' INSERT runs whether or not the final SELECT reads it (data-modifying CTE).
  return new Map((result.rows as EventRow[]).map((r) => [r.id, r]));
}

export interface EventSearch {
  /** Exact type, `prefix.*` or `*`. */
  type?: string;
  since?: Date;
  until?: Date;
  idempotencyKey?: string;
  limit: number;
  before?: string;
}

export type EventListRow = Pick<EventRow, 'id' | 'type' | 'created_at' | 'idempotency_key'> & { delivery_counts: Record<string, number> };

/** The workspace's events, newest first, with their deliveries counted by status (test sends left out). */
export async function searchEvents(db: Db, workspaceId: string, s: EventSearch): Promise<EventListRow[]> {
  const q = db('events as e')
    .where('e.workspace_id', workspaceId)
    .whereNotExists(db('deliveries as t').whereRaw('t.event_id = e.id').where('t.is_test', true))
    .orderBy('e.id', 'desc')
    .limit(s.limit)
    .select(
      'e.id',
      'e.type',
      'e.created_at',
      'e.idempotency_key',
      db.raw(
        `COALESCE((SELECT json_object_agg(c.status, c.n) FROM (SELECT d.status, count(*)::int AS n FROM deliveries d WHERE d.event_id = e.id GROUP BY d.status) c), '{}') AS delivery_counts`,
      ),
    );
  whereTypeMatches(q, 'e.type', s.type);
  if (s.since) q.where('e.created_at', '>=', s.since);
  if (s.until) q.where('e.created_at', '<', s.until);
  if (s.idempotencyKey) q.where('e.idempotency_key', s.idempotencyKey);
  if (s.before) q.where('e.id', '<', s.before);
  return q;
}
