import type { Db } from '../knex';
import type { DeliveryStatus, AttemptTrigger } from '../../../workflows/definitions';

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
}

export const FINAL_STATUSES: DeliveryStatus[] = ['success', 'failed', 'abandoned', 'cancelled'];

export async function insertDeliveries(db: Db, rows: Omit<DeliveryRow, 'created_at' | 'updated_at' | 'completed_at' | 'attempts' | 'next_attempt_at' | 'last_response_code' | 'last_response_time_ms' | 'last_error' | 'status'>[]): Promise<void> {
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

export async function listDeliveriesOfWebhook(
  db: Db,
  workspaceId: string,
  webhookId: string,
  opts: { status?: DeliveryStatus; limit: number; before?: string },
): Promise<DeliveryRow[]> {
  const q = db<DeliveryRow>('deliveries').where({ workspace_id: workspaceId, webhook_id: webhookId }).orderBy('id', 'desc').limit(opts.limit);
  if (opts.status) q.where({ status: opts.status });
  if (opts.before) q.where('id', '<', opts.before);
  return q;
}

export async function listAttempts(db: Db, deliveryId: string): Promise<AttemptRow[]> {
  return db<AttemptRow>('delivery_attempts').where({ delivery_id: deliveryId }).orderBy('attempt_no');
}

export async function getAttempt(db: Db, deliveryId: string, attemptNo: number): Promise<AttemptRow | undefined> {
  return db<AttemptRow>('delivery_attempts').where({ delivery_id: deliveryId, attempt_no: attemptNo }).first();
}

/** Idempotent on (delivery_id, attempt_no): false when the attempt was already recorded. */
export async function insertAttempt(db: Db, row: AttemptRow): Promise<boolean> {
  const ids = await db('delivery_attempts').insert(row).onConflict(['delivery_id', 'attempt_no']).ignore().returning('id');
  return ids.length > 0;
}

export async function updateDelivery(db: Db, id: string, patch: Partial<DeliveryRow>): Promise<void> {
  await db('deliveries').where({ id }).update({ ...patch, updated_at: db.fn.now() });
}
