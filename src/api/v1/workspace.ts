import { Router, type Response } from 'express';
import { z } from 'zod';
import * as webhooks from '../../db/repositories/webhooks';
import { getWorkspace, updateWorkspace } from '../../db/repositories/workspaces';
import { checkUrl } from '../../delivery/ssrf';
import { generateSecret } from '../../signing/sign';
import type { ApiDeps } from '../deps';
import { invalid, notFound } from '../errors';
import { route, type Input } from '../route';
import { NOTIFICATION_KINDS } from './notifications';
import { effectiveLimit } from './workspaces';

export const WorkspacePatch = z
  .object({
    name: z.string().trim().min(1).max(200),
    notification_url: z.string().max(2048).nullable(),
    notification_kinds: z.array(z.enum(NOTIFICATION_KINDS)).min(1).nullable(),
    enforce_event_catalog: z.boolean(),
  })
  .partial()
  .strict();

export const WorkspaceOut = z.object({
  id: z.string(),
  uid: z.string().nullable(),
  name: z.string(),
  max_active_webhooks: z.number().int().describe('the limit of active webhooks in force (set by an admin key, else the server default)'),
  active_webhooks: z.number().int(),
  notification_url: z.string().nullable(),
  notification_kinds: z.array(z.enum(NOTIFICATION_KINDS)).nullable(),
  enforce_event_catalog: z.boolean(),
  notification_secret: z.string().optional().describe('only when the notification endpoint is first set up'),
});

async function workspaceOut(deps: ApiDeps, id: string, secret?: string): Promise<z.infer<typeof WorkspaceOut>> {
  const w = await getWorkspace(deps.db, id);
  if (!w) throw notFound('workspace', id);
  return {
    id: w.id,
    uid: w.uid,
    name: w.name,
    max_active_webhooks: effectiveLimit(deps, w),
    active_webhooks: await webhooks.countActiveWebhooks(deps.db, w.id),
    notification_url: w.notification_url,
    notification_kinds: (w.notification_kinds as z.infer<typeof WorkspaceOut>['notification_kinds']) ?? null,
    enforce_event_catalog: w.enforce_event_catalog,
    ...(secret ? { notification_secret: secret } : {}),
  };
}

export async function getWorkspaceSettings(deps: ApiDeps, { workspaceId }: Input, res: Response) {
  res.json(await workspaceOut(deps, workspaceId));
}

/**
 * Settings; a notification URL gets a hidden system webhook (standard signing, default retry
 * schedule) whose secret is returned once, and later from /v1/workspace/notification-secret.
 */
export async function updateWorkspaceSettings(deps: ApiDeps, { body, workspaceId }: Input<{ body: typeof WorkspacePatch }>, res: Response) {
  const { notification_url } = body;
  if (notification_url) {
    const r = checkUrl(notification_url, { allow: deps.allow, requireHttps: deps.config.NODE_ENV === 'production' });
    if (!r.ok) throw invalid(`notification_url is not allowed: ${r.detail}`, [{ path: 'body.notification_url', message: r.reason }]);
  }
  let secret: string | undefined;
  await deps.db.transaction(async (trx) => {
    await updateWorkspace(trx, workspaceId, body);
    const sys = await webhooks.getSystemWebhook(trx, workspaceId);
    if (notification_url && !sys) {
      secret = generateSecret();
      await webhooks.insertSystemWebhook(trx, workspaceId, notification_url, deps.secretBox.encrypt(secret));
    } else if (sys && notification_url !== undefined) {
      await webhooks.setSystemWebhookUrl(trx, workspaceId, notification_url);
    }
  });
  res.json(await workspaceOut(deps, workspaceId, secret));
}

export async function getNotificationSecret(deps: ApiDeps, { workspaceId }: Input, res: Response) {
  const sys = await webhooks.getSystemWebhook(deps.db, workspaceId);
  if (!sys?.secret_enc) throw notFound('notification endpoint of workspace', workspaceId);
  res.set('cache-control', 'no-store').json({ secret: deps.secretBox.decrypt(sys.secret_enc) });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Workspace';
  route(
    r,
    deps,
    {
      operationId: 'getWorkspaceSettings',
      method: 'get',
      path: '/workspace',
      summary: 'Workspace settings',
      tag,
      scope: 'webhooks:read',
      responses: { 200: WorkspaceOut },
    },
    getWorkspaceSettings,
  );
  route(
    r,
    deps,
    {
      operationId: 'updateWorkspaceSettings',
      method: 'patch',
      path: '/workspace',
      summary: 'Update settings (notification URL and kinds, catalog enforcement)',
      tag,
      scope: 'webhooks:write',
      body: WorkspacePatch,
      responses: { 200: WorkspaceOut },
    },
    updateWorkspaceSettings,
  );
  route(
    r,
    deps,
    {
      operationId: 'getNotificationSecret',
      method: 'get',
      path: '/workspace/notification-secret',
      summary: 'Secret that signs notifications',
      tag,
      scope: 'webhooks:write',
      responses: { 200: z.object({ secret: z.string() }) },
    },
    getNotificationSecret,
  );
  return r;
}
