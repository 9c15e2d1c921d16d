import { Router, type Response } from 'express';
import { z } from 'zod';
import { listNotifications as listRows, NOTIFICATION_KINDS } from '../../db/repositories/notifications';
import type { ApiDeps } from '../deps';
import { ListQuery, listOf, page } from '../list';
import { route, type Input } from '../route';

export { NOTIFICATION_KINDS };

export const NotificationListQuery = ListQuery.extend({
  webhook_id: z.string().max(40).optional(),
  kind: z.enum(NOTIFICATION_KINDS).optional(),
});

export const NotificationOut = z.object({
  id: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  webhook_id: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  sent_status: z.string(),
  created_at: z.string(),
});

export async function listNotifications(
  deps: ApiDeps,
  { query, workspaceId }: Input<{ query: typeof NotificationListQuery }>,
  res: Response,
) {
  const rows = await listRows(deps.db, workspaceId, {
    webhookId: query.webhook_id,
    kind: query.kind,
    limit: query.limit + 1,
    before: query.cursor,
  });
  const { items, next_cursor } = page(rows, query.limit);
  res.json({
    data: items.map((n) => ({
      id: n.id,
      kind: n.kind,
      webhook_id: n.webhook_id,
      payload: n.payload,
      sent_status: n.sent_status,
      created_at: n.created_at.toISOString(),
    })),
    next_cursor,
  });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  route(
    r,
    deps,
    {
      operationId: 'listNotifications',
      method: 'get',
      path: '/notifications',
      summary: 'Operational notifications, newest first',
      tag: 'Notifications',
      scope: 'webhooks:read',
      query: NotificationListQuery,
      responses: { 200: listOf(NotificationOut) },
    },
    listNotifications,
  );
  return r;
}
