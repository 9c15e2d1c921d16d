import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { listNotifications as listRows } from '../../db/repositories/notifications';
import { requireScope, ws } from '../auth';
import type { ApiDeps } from '../deps';
import { decodeCursor, page, parse } from '../validate';
import { route } from '../openapi';

export const NOTIFICATION_KINDS = ['endpoint.failing', 'endpoint.disabled', 'delivery.exhausted', 'endpoint.recovered'] as const;

export const NotificationListQuery = z.object({
  webhook_id: z.string().max(40).optional(),
  kind: z.enum(NOTIFICATION_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const NotificationOut = z.object({
  id: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  webhook_id: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  sent_status: z.string(),
  created_at: z.string(),
});

export async function listNotifications(deps: ApiDeps, req: Request, res: Response) {
  const q = parse(NotificationListQuery, req, 'query');
  const rows = await listRows(deps.db, ws(req), { webhookId: q.webhook_id, kind: q.kind, limit: q.limit + 1, before: decodeCursor(q.cursor) });
  const { items, next_cursor } = page(rows, q.limit);
  res.json({
    data: items.map((n) => ({ id: n.id, kind: n.kind, webhook_id: n.webhook_id, payload: n.payload, sent_status: n.sent_status, created_at: n.created_at.toISOString() })),
    next_cursor,
  });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  route(r, { method: 'get', path: '/notifications', summary: 'Operational notifications, newest first', tag: 'Notifications', scope: 'webhooks:read', query: NotificationListQuery, responses: { 200: z.object({ data: z.array(NotificationOut), next_cursor: z.string().nullable() }) } }, requireScope('webhooks:read'), (req, res) => listNotifications(deps, req, res));
  return r;
}
