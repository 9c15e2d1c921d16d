import type { ContentFilter } from '../../domain/content-filter';
import type { Db } from '../knex';
import type { RetryPolicy } from '../../domain/retry-policy';
import { newId } from '../../domain/ids';
import { PROFILES, type ProfileName, type SignatureScheme } from '../../domain/profiles';

export type WebhookStatus = 'active' | 'inactive' | 'disabled';

export interface WebhookRow {
  id: string;
  workspace_id: string;
  name: string;
  url: string;
  method: string;
  content_type: string;
  events: string[];
  status: WebhookStatus;
  disabled_reason: string | null;
  profile: ProfileName;
  signature_scheme: SignatureScheme;
  signature_header: string | null;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  custom_headers: Record<string, string>;
  retry_policy: RetryPolicy;
  max_attempts: number;
  timeout_ms: number;
  consecutive_failures: number;
  failing_since: Date | null;
  failing_notified: boolean;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  is_system: boolean;
  /** Content filter on the event's data (src/domain/content-filter.ts); null passes everything. */
  filter: ContentFilter | null;
  /** At most this many sends per second to the endpoint (src/delivery/throttle.ts); null: unlimited. */
  rate_limit_per_s: number | null;
}

export type WebhookInsert = Omit<
  WebhookRow,
  | 'created_at'
  | 'updated_at'
  | 'deleted_at'
  | 'consecutive_failures'
  | 'failing_since'
  | 'failing_notified'
  | 'is_system'
  | 'filter'
  | 'rate_limit_per_s'
> &
  Partial<Pick<WebhookRow, 'is_system' | 'filter' | 'rate_limit_per_s'>>;

/** The user's webhooks: not deleted, not the hidden system webhook for notifications. */
const live = (db: Db, workspaceId: string) => db('webhooks').where({ workspace_id: workspaceId, is_system: false }).whereNull('deleted_at');

export async function getSystemWebhook(db: Db, workspaceId: string): Promise<WebhookRow | undefined> {
  return db<WebhookRow>('webhooks').where({ workspace_id: workspaceId, is_system: true }).whereNull('deleted_at').first();
}

/**
 * The hidden webhook that delivers a workspace's notifications to its notification URL:
 * standard signing and the standard profile's retry schedule.
 */
export async function insertSystemWebhook(db: Db, workspaceId: string, url: string, secretEnc: string): Promise<WebhookRow> {
  const p = PROFILES.standard;
  return insertWebhook(db, {
    id: newId('wh'),
    workspace_id: workspaceId,
    name: 'notifications',
    url,
    method: 'POST',
    content_type: 'application/json',
    events: ['endpoint.*', 'delivery.*'],
    status: 'active',
    disabled_reason: null,
    profile: 'standard',
    signature_scheme: p.scheme,
    signature_header: null,
    secret_enc: secretEnc,
    previous_secret_enc: null,
    previous_secret_expires_at: null,
    custom_headers: {},
    retry_policy: p.retryPolicy,
    max_attempts: p.maxAttempts,
    timeout_ms: 30000,
    is_system: true,
  });
}

/** Points the system webhook at a new notification URL, or switches it off (null). */
export async function setSystemWebhookUrl(db: Db, workspaceId: string, url: string | null): Promise<void> {
  await db('webhooks')
    .where({ workspace_id: workspaceId, is_system: true })
    .whereNull('deleted_at')
    .update(url ? { url, status: 'active', updated_at: db.fn.now() } : { status: 'inactive', updated_at: db.fn.now() });
}

const jsonCols = (row: Partial<WebhookRow>) => ({
  ...row,
  ...(row.custom_headers ? { custom_headers: JSON.stringify(row.custom_headers) } : {}),
  ...(row.retry_policy ? { retry_policy: JSON.stringify(row.retry_policy) } : {}),
  ...(row.filter ? { filter: JSON.stringify(row.filter) } : {}),
});

export async function insertWebhook(db: Db, row: WebhookInsert): Promise<WebhookRow> {
  const [created] = await db('webhooks').insert(jsonCols(row)).returning('*');
  return created;
}

export async function getWebhook(db: Db, workspaceId: string, id: string): Promise<WebhookRow | undefined> {
  return live(db, workspaceId).where({ id }).first();
}

/** Newest first; `before` is the id of the last item of the previous page. */
export async function listWebhooks(db: Db, workspaceId: string, limit: number, before?: string): Promise<WebhookRow[]> {
  const q = live(db, workspaceId).orderBy('id', 'desc').limit(limit);
  if (before) q.where('id', '<', before);
  return q;
}

export async function countActiveWebhooks(db: Db, workspaceId: string): Promise<number> {
  const [{ count }] = await live(db, workspaceId).where({ status: 'active' }).count<{ count: string }[]>('* as count');
  return Number(count);
}

export async function updateWebhook(db: Db, workspaceId: string, id: string, patch: Partial<WebhookRow>): Promise<WebhookRow | undefined> {
  const [row] = await live(db, workspaceId)
    .where({ id })
    .update({ ...jsonCols(patch), updated_at: db.fn.now() })
    .returning('*');
  return row;
}

export async function deleteWebhook(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const n = await live(db, workspaceId).where({ id }).update({ deleted_at: db.fn.now(), status: 'inactive' });
  return n > 0;
}

/** Webhooks of all workspaces by status (the user's, not the system ones): a metrics gauge. */
export async function countWebhooksByStatus(db: Db): Promise<{ status: string; count: number }[]> {
  const rows = await db('webhooks')
    .whereNull('deleted_at')
    .where({ is_system: false })
    .groupBy('status')
    .select('status')
    .count('* as count');
  return rows.map((r) => ({ status: String(r.status), count: Number(r.count) }));
}

/** Any webhook by id, deleted ones included: the delivery activity needs it to abandon. */
export async function getWebhookById(db: Db, id: string): Promise<WebhookRow | undefined> {
  return db<WebhookRow>('webhooks').where({ id }).first();
}

/**
 * One failed attempt: extends the streak atomically (safe under concurrent deliveries) and
 * reports whether this failure is the one that crosses the notify threshold; only one
 * concurrent caller can flip `failing_notified`.
 */
export async function recordFailure(
  db: Db,
  id: string,
  notifyAfter: number,
  at: Date,
): Promise<{ consecutive_failures: number; failing_since: Date; crossed: boolean }> {
  const [row] = await db('webhooks')
    .where({ id })
    .update({
      consecutive_failures: db.raw('consecutive_failures + 1'),
      failing_since: db.raw('COALESCE(failing_since, ?)', [at]),
    })
    .returning(['consecutive_failures', 'failing_since']);
  const flipped = await db('webhooks')
    .where({ id, failing_notified: false })
    .where('consecutive_failures', '>=', notifyAfter)
    .update({ failing_notified: true })
    .returning('id');
  return { ...row, crossed: flipped.length > 0 };
}

/** A success: resets the streak; reports whether a notified streak just ended. */
export async function recordSuccess(db: Db, id: string): Promise<{ recovered: boolean; failures: number }> {
  const result = await db.raw(
    `UPDATE webhooks w SET consecutive_failures = 0, failing_since = NULL, failing_notified = false
       FROM (SELECT id, consecutive_failures, failing_notified FROM webhooks WHERE id = ? AND consecutive_failures > 0 FOR UPDATE) old
      WHERE w.id = old.id
      RETURNING old.consecutive_failures AS failures, old.failing_notified AS notified`,
    [id],
  );
  const row = result.rows[0] as { failures: number; notified: boolean } | undefined;
  return { recovered: Boolean(row?.notified), failures: row?.failures ?? 0 };
}

/** Disables an active webhook; true only for the caller that changed it. */
export async function disableWebhook(db: Db, id: string, reason: string): Promise<boolean> {
  const n = await db('webhooks')
    .where({ id, status: 'active' })
    .update({ status: 'disabled', disabled_reason: reason, updated_at: db.fn.now() });
  return n > 0;
}
