import type { Knex } from 'knex';
import type { Db } from '../knex';
import type { EventRow } from './events';
import type { WebhookRow } from './webhooks';
import { FINAL_STATUSES, type DeliveryStatus, type AttemptTrigger } from '../../../workflows/definitions';

export interface DeliveryRow {
  id: string;
  workspace_id: string;
  event_id: string;
  webhook_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_response_code: number | null;
  last_response_time_ms: number | null;
  last_error: string | null;
  is_test: boolean;
  workflow_id: string;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export interface AttemptRow {
  id: string;
  delivery_id: string;
  attempt_no: number;
  started_at: Date;
  duration_ms: number;
  response_code: number | null;
  response_body: string | null;
  error_class: string | null;
  error_message: string | null;
  trigger: AttemptTrigger;
  /** The request as sent; null on attempts recorded before request records existed. */
  request_url: string | null;
  request_method: string | null;
  request_headers: Record<string, string> | null;
  /** The first 4 KiB of the body. */
  request_body: string | null;
}

export async function insertDeliveries(
  db: Db,
  rows: Omit<
    DeliveryRow,
    | 'created_at'
    | 'updated_at'
    | 'completed_at'
    | 'attempts'
    | 'next_attempt_at'
    | 'last_response_code'
    | 'last_response_time_ms'
    | 'last_error'
    | 'status'
  >[],
): Promise<void> {
  if (rows.length) await db('deliveries').insert(rows).onConflict(db.raw('(event_id, webhook_id) WHERE NOT is_test')).ignore();
}

export async function listDeliveriesOfEvent(db: Db, eventId: string): Promise<DeliveryRow[]> {
  return db<DeliveryRow>('deliveries').where({ event_id: eventId }).orderBy('id');
}

export async function getDelivery(db: Db, workspaceId: string, id: string): Promise<DeliveryRow | undefined> {
  return db<DeliveryRow>('deliveries').where({ workspace_id: workspaceId, id }).first();
}

export async function getDeliveryById(db: Db, id: string): Promise<DeliveryRow | undefined> {
  return db<DeliveryRow>('deliveries').where({ id }).first();
}

/**
 * A delivery and its attempts from one snapshot: an attempt and its delivery update commit
 * together, and two separate reads could straddle that commit.
 */
export async function getDeliveryWithAttempts(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[] } | undefined> {
  return db.transaction(
    async (trx) => {
      const delivery = await getDelivery(trx, workspaceId, id);
      return delivery && { delivery, attempts: await listAttempts(trx, id) };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

/**
 * An event-type pattern as a condition: exact (`task.created`), prefix (`task.*`) or `*` (any).
 * The prefix is compared with substr, so `_` and `%` in type names mean themselves.
 */
export function whereTypeMatches(q: Knex.QueryBuilder, column: string, pattern: string | undefined): void {
  if (!pattern || pattern === '*') return;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    q.whereRaw('substr(??, 1, ?) = ?', [column, prefix.length, prefix]);
  } else q.where(column, pattern);
}

export interface DeliverySearch {
  webhookId?: string;
  statuses?: DeliveryStatus[];
  isTest?: boolean;
  /** Exact type, `prefix.*` or `*`. */
  eventType?: string;
  eventId?: string;
  /** Created in [since, until). */
  since?: Date;
  until?: Date;
  limit: number;
  /** The id of the last item of the previous page: ids are time-ordered and unique, so a page
   *  boundary stays put while new deliveries are inserted (they sort before it). */
  before?: string;
}

/** The workspace's deliveries (or one webhook's), newest first, filtered. */
export async function searchDeliveries(db: Db, workspaceId: string, s: DeliverySearch): Promise<DeliveryRow[]> {
  const q = db<DeliveryRow>('deliveries').where({ workspace_id: workspaceId }).orderBy('id', 'desc').limit(s.limit);
  if (s.webhookId) q.where({ webhook_id: s.webhookId });
  if (s.statuses?.length) q.whereIn('status', s.statuses);
  if (s.isTest !== undefined) q.where({ is_test: s.isTest });
  whereTypeMatches(q, 'event_type', s.eventType);
  if (s.eventId) q.where({ event_id: s.eventId });
  if (s.since) q.where('created_at', '>=', s.since);
  if (s.until) q.where('created_at', '<', s.until);
  if (s.before) q.where('id', '<', s.before);
  return q;
}

/** A webhook's non-test deliveries in these statuses created in [since, until), oldest first. */
export async function listReplayable(
  db: Db,
  workspaceId: string,
  webhookId: string,
  opts: { since: Date; until: Date; statuses: DeliveryStatus[] },
): Promise<DeliveryRow[]> {
  return db<DeliveryRow>('deliveries')
    .where({ webhook_id: webhookId, workspace_id: workspaceId, is_test: false })
    .whereIn('status', opts.statuses)
    .where('created_at', '>=', opts.since)
    .where('created_at', '<', opts.until)
    .orderBy('id')
    .limit(10_000);
}

/** What starting an event's workflows needs: its non-test, non-skipped deliveries, their webhook's name and url, the workspace's weight. */
export async function listStartsOfEvent(
  db: Db,
  eventId: string,
): Promise<
  {
    delivery: Pick<DeliveryRow, 'id' | 'event_id' | 'webhook_id' | 'workspace_id' | 'event_type' | 'workflow_id'>;
    webhook: { name: string; url: string; profile: string; max_attempts: number };
    fairnessWeight: number;
  }[]
> {
  const rows = await db('deliveries as d')
    .join('webhooks as w', 'w.id', 'd.webhook_id')
    .join('workspaces as ws', 'ws.id', 'd.workspace_id')
    .where('d.event_id', eventId)
    .where('d.is_test', false)
    .whereNot('d.status', 'skipped')
    .select(
      'd.id',
      'd.event_id',
      'd.webhook_id',
      'd.workspace_id',
      'd.event_type',
      'd.workflow_id',
      'w.name',
      'w.url',
      'w.profile',
      'w.max_attempts',
      'ws.fairness_weight',
    );
  return rows.map(({ name, url, profile, max_attempts, fairness_weight, ...delivery }) => ({
    delivery,
    webhook: { name, url, profile, max_attempts },
    fairnessWeight: fairness_weight,
  }));
}

export async function listAttempts(db: Db, deliveryId: string): Promise<AttemptRow[]> {
  return db<AttemptRow>('delivery_attempts').where({ delivery_id: deliveryId }).orderBy('attempt_no');
}

/** Idempotent on (delivery_id, attempt_no): false when the attempt was already recorded. */
export async function insertAttempt(db: Db, row: AttemptRow): Promise<boolean> {
  const ids = await db('delivery_attempts')
    .insert({ ...row, request_headers: row.request_headers && JSON.stringify(row.request_headers) })
    .onConflict(['delivery_id', 'attempt_no'])
    .ignore()
    .returning('id');
  return ids.length > 0;
}

/** The not-yet-final deliveries among those of these workflow ids. */
export async function listUnfinishedByWorkflowIds(db: Db, workflowIds: string[]): Promise<DeliveryRow[]> {
  return db<DeliveryRow>('deliveries').whereIn('workflow_id', workflowIds).whereNotIn('status', FINAL_STATUSES);
}

/** Records the end of a delivery whose run closed from outside; false when the row was final already. */
export async function finishClosedRun(db: Db, id: string, status: DeliveryStatus, lastError: string): Promise<boolean> {
  const n = await db('deliveries')
    .where({ id })
    .whereNotIn('status', FINAL_STATUSES)
    .update({ status, last_error: lastError, next_attempt_at: null, completed_at: db.fn.now(), updated_at: db.fn.now() });
  return n > 0;
}

/** Ends a delivery outside an attempt (cancel); a success stays a success. */
export async function finishDelivery(db: Db, id: string, status: DeliveryStatus): Promise<void> {
  await db('deliveries')
    .where({ id })
    .whereNotIn('status', ['success'])
    .update({ status, next_attempt_at: null, completed_at: db.fn.now(), updated_at: db.fn.now() });
}

export async function updateDelivery(db: Db, id: string, patch: Partial<DeliveryRow>): Promise<void> {
  await db('deliveries')
    .where({ id })
    .update({ ...patch, updated_at: db.fn.now() });
}

const DELIVERY_COLUMNS = [
  'id',
  'workspace_id',
  'event_id',
  'webhook_id',
  'event_type',
  'status',
  'attempts',
  'next_attempt_at',
  'last_response_code',
  'last_response_time_ms',
  'last_error',
  'is_test',
  'workflow_id',
  'created_at',
  'updated_at',
  'completed_at',
] as const;
const EVENT_COLUMNS = ['id', 'workspace_id', 'type', 'payload', 'idempotency_key', 'request_hash', 'created_at', 'dispatched_at'] as const;

/** What one attempt needs, read in one round trip. `webhook`/`event` are null when their row is gone. */
export interface AttemptContext {
  delivery: DeliveryRow;
  /** The attempt with this number, when it was already recorded (a re-run). */
  recorded: Pick<AttemptRow, 'response_code' | 'error_class'> | null;
  webhook: WebhookRow | null;
  event: EventRow | null;
}

function prefixed<T>(row: Record<string, unknown>, prefix: string, columns: readonly string[]): T {
  return Object.fromEntries(columns.map((c) => [c, row[`${prefix}${c}`]])) as T;
}

// Built once: the attempt's hot path sends this text as it is (no query building per attempt).
const ATTEMPT_CONTEXT_SQL = `SELECT w.*, ${DELIVERY_COLUMNS.map((c) => `d.${c} AS d__${c}`).join(', ')},
       ${EVENT_COLUMNS.map((c) => `e.${c} AS e__${c}`).join(', ')},
       a.id AS a__id, a.response_code AS a__response_code, a.error_class AS a__error_class
  FROM deliveries d
  LEFT JOIN webhooks w ON w.id = d.webhook_id
  LEFT JOIN events e ON e.id = d.event_id
  LEFT JOIN delivery_attempts a ON a.delivery_id = d.id AND a.attempt_no = ?
 WHERE d.id = ?
 LIMIT 1`;

export async function loadAttemptContext(db: Db, deliveryId: string, attemptNo: number): Promise<AttemptContext | undefined> {
  const row: Record<string, unknown> | undefined = (await db.raw(ATTEMPT_CONTEXT_SQL, [attemptNo, deliveryId])).rows[0];
  if (!row) return undefined;
  const webhook = Object.fromEntries(Object.entries(row).filter(([k]) => !/^[dea]__/.test(k))) as unknown as WebhookRow;
  return {
    delivery: prefixed<DeliveryRow>(row, 'd__', DELIVERY_COLUMNS),
    recorded: row.a__id ? { response_code: row.a__response_code as number | null, error_class: row.a__error_class as string | null } : null,
    webhook: webhook.id ? webhook : null,
    event: row.e__id ? prefixed<EventRow>(row, 'e__', EVENT_COLUMNS) : null,
  };
}

/**
 * A successful attempt in one statement (the common case, so one round trip): records the
 * attempt (idempotent on its number), finishes the delivery, and resets a failure streak that
 * never notified. `inserted` false: this attempt was already recorded and nothing changed.
 * `notifiedStreak`: the endpoint has a notified streak, which the caller ends with
 * `recordSuccess` (one `endpoint.recovered`).
 */
export async function recordSuccessfulAttempt(
  db: Db,
  attempt: AttemptRow,
  delivery: Pick<DeliveryRow, 'last_response_code' | 'last_response_time_ms'> & { completed_at: Date },
  streakWebhookId: string | null,
): Promise<{ inserted: boolean; notifiedStreak: boolean }> {
  const result = await db.raw(
    `WITH a AS (
       INSERT INTO delivery_attempts (id, delivery_id, attempt_no, started_at, duration_ms, response_code, response_body, error_class, error_message, trigger,
                                      request_url, request_method, request_headers, request_body)
       VALUES (:id, :delivery_id, :attempt_no, :started_at, :duration_ms, :response_code, :response_body, NULL, NULL, :trigger,
               :request_url, :request_method, :request_headers, :request_body)
       ON CONFLICT (delivery_id, attempt_no) DO NOTHING
       RETURNING id
     ), d AS (
       UPDATE deliveries SET status = 'success', attempts = :attempt_no, next_attempt_at = NULL, last_response_code = :last_response_code,
              last_response_time_ms = :last_response_time_ms, last_error = NULL, completed_at = :completed_at, updated_at = now()
        WHERE id = :delivery_id AND EXISTS (SELECT 1 FROM a)
        RETURNING id
     ), w AS (
       UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL
        WHERE id = :webhook_id AND consecutive_failures > 0 AND NOT failing_notified AND EXISTS (SELECT 1 FROM a)
        RETURNING id
     )
     SELECT EXISTS (SELECT 1 FROM a) AS inserted,
            EXISTS (SELECT 1 FROM webhooks WHERE id = :webhook_id AND failing_notified) AS notified`,
    {
      ...attempt,
      request_headers: attempt.request_headers && JSON.stringify(attempt.request_headers),
      last_response_code: delivery.last_response_code,
      last_response_time_ms: delivery.last_response_time_ms,
      completed_at: delivery.completed_at,
      webhook_id: streakWebhookId,
    },
  );
  const row = result.rows[0] as { inserted: boolean; notified: boolean };
  return { inserted: row.inserted, notifiedStreak: row.inserted && row.notified };
}
