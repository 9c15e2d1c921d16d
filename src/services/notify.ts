import type { Db } from '../db/knex';
import { insertDeliveries } from '../db/repositories/deliveries';
import { insertEvent } from '../db/repositories/events';
import { insertNotification, markNotificationQueued, type NotificationKind } from '../db/repositories/notifications';
import { getSystemWebhook } from '../db/repositories/webhooks';
import { getWorkspace } from '../db/repositories/workspaces';
import { newId } from '../domain/ids';
import { deliveryWorkflowId } from '../../workflows/definitions';

/**
 * Stores a notification and, when the workspace has a notification URL for this kind, queues it
 * as an event for the workspace's system webhook, in the caller's transaction. Returns the event
 * id to dispatch after commit (the reconciler covers a crash before that).
 */
export async function notify(
  trx: Db,
  n: { workspace_id: string; webhook_id: string; kind: NotificationKind; payload: Record<string, unknown> },
): Promise<string | null> {
  const row = await insertNotification(trx, n);
  const ws = await getWorkspace(trx, n.workspace_id);
  if (!ws?.notification_url) return null;
  if (ws.notification_kinds && !ws.notification_kinds.includes(n.kind)) return null;
  const sys = await getSystemWebhook(trx, ws.id);
  if (!sys || sys.status !== 'active') return null;
  const eventId = newId('evt');
  await insertEvent(trx, {
    id: eventId,
    workspace_id: ws.id,
    type: n.kind,
    payload: { notification_id: row.id, ...n.payload },
    idempotency_key: null,
    request_hash: null,
  });
  await insertDeliveries(trx, [
    {
      id: newId('dlv'),
      workspace_id: ws.id,
      event_id: eventId,
      webhook_id: sys.id,
      event_type: n.kind,
      is_test: false,
      workflow_id: deliveryWorkflowId(eventId, sys.id),
    },
  ]);
  await markNotificationQueued(trx, row.id, eventId);
  return eventId;
}
