import type { Db } from '../knex';
import { newId } from '../../domain/ids';

/** Every notification kind, defined once (the API's enums and the workspace settings use these). */
export const NOTIFICATION_KINDS = ['endpoint.failing', 'endpoint.disabled', 'delivery.exhausted', 'endpoint.recovered'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NotificationRow {
  id: string;
  workspace_id: string;
  webhook_id: string | null;
  kind: NotificationKind;
  payload: Record<string, unknown>;
  sent_status: string;
  created_at: Date;
}

export async function insertNotification(
  db: Db,
  n: { workspace_id: string; webhook_id: string; kind: NotificationKind; payload: Record<string, unknown> },
): Promise<NotificationRow> {
  const [row] = await db('notifications')
    .insert({ id: newId('ntf'), ...n, payload: JSON.stringify(n.payload) })
    .returning('*');
  return row;
}

/** The notification was queued as an event for the workspace's notification URL. */
export async function markNotificationQueued(db: Db, id: string, eventId: string): Promise<void> {
  await db('notifications').where({ id }).update({ event_id: eventId, sent_status: 'queued' });
}

export async function listNotifications(
  db: Db,
  workspaceId: string,
  opts: { webhookId?: string; kind?: NotificationKind; limit: number; before?: string },
): Promise<NotificationRow[]> {
  const q = db<NotificationRow>('notifications').where({ workspace_id: workspaceId }).orderBy('id', 'desc').limit(opts.limit);
  if (opts.webhookId) q.where({ webhook_id: opts.webhookId });
  if (opts.kind) q.where({ kind: opts.kind });
  if (opts.before) q.where('id', '<', opts.before);
  return q;
}
