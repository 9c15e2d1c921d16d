import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as webhooks from '../../db/repositories/webhooks';
import { getWorkspace } from '../../db/repositories/workspaces';
import { newId } from '../../domain/ids';
import { PROFILES } from '../../domain/profiles';
import { checkUrl } from '../../delivery/ssrf';
import { generateSecret } from '../../signing/sign';
import { requireScope, ws } from '../auth';
import type { ApiDeps } from '../deps';
import { invalid, notFound } from '../errors';
import { parse } from '../validate';
import { route } from '../openapi';
import { NOTIFICATION_KINDS } from './notifications';

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
  name: z.string(),
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
    name: w.name,
    notification_url: w.notification_url,
    notification_kinds: (w.notification_kinds as z.infer<typeof WorkspaceOut>['notification_kinds']) ?? null,
    enforce_event_catalog: w.enforce_event_catalog,
    ...(secret ? { notification_secret: secret } : {}),
  };
}

export async function getWorkspaceSettings(deps: ApiDeps, req: Request, res: Response) {
  res.json(await workspaceOut(deps, ws(req)));
}

/**
 * Settings; a notification URL gets a hidden system webhook (standard signing, default retry
 * schedule) whose secret is returned once, and later from /v1/workspace/notification-secret.
 */
export async function updateWorkspaceSettings(deps: ApiDeps, req: Request, res: Response) {
  const body = parse(WorkspacePatch, req, 'body');
  const workspaceId = ws(req);
  let secret: string | undefined;
  await deps.db.transaction(async (trx) => {
    if (body.notification_url) {
      const r = checkUrl(body.notification_url, { allow: deps.allow, requireHttps: deps.config.NODE_ENV === 'production' });
      if (!r.ok) throw invalid(`notification_url is not allowed: ${r.detail}`, [{ path: 'body.notification_url', message: r.reason }]);
    }
    const { notification_url } = body;
    if (Object.keys(body).length) await trx('workspaces').where({ id: workspaceId }).update(body);
    const sys = await webhooks.getSystemWebhook(trx, workspaceId);
    if (notification_url && !sys) {
      secret = generateSecret();
      const p = PROFILES.standard;
      await webhooks.insertWebhook(trx, {
        id: newId('wh'), workspace_id: workspaceId, name: 'notifications', url: notification_url, method: 'POST',
        content_type: 'application/json', events: ['endpoint.*', 'delivery.*'], status: 'active', disabled_reason: null,
        profile: 'standard', signature_scheme: p.scheme, signature_header: null, secret_enc: deps.secretBox.encrypt(secret),
        previous_secret_enc: null, previous_secret_expires_at: null, custom_headers: {}, retry_policy: p.retryPolicy,
        max_attempts: p.maxAttempts, timeout_ms: 30000, is_system: true,
      });
    } else if (sys && notification_url !== undefined) {
      await trx('webhooks').where({ id: sys.id }).update(notification_url ? { url: notification_url, status: 'active' } : { status: 'inactive' });
    }
  });
  res.json(await workspaceOut(deps, workspaceId, secret));
}

export async function getNotificationSecret(deps: ApiDeps, req: Request, res: Response) {
  const sys = await webhooks.getSystemWebhook(deps.db, ws(req));
  if (!sys?.secret_enc) throw notFound('notification endpoint of workspace', ws(req));
  res.set('cache-control', 'no-store').json({ secret: deps.secretBox.decrypt(sys.secret_enc) });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Workspace';
  route(r, { method: 'get', path: '/workspace', summary: 'Workspace settings', tag, scope: 'webhooks:read', responses: { 200: WorkspaceOut } }, requireScope('webhooks:read'), (req, res) => getWorkspaceSettings(deps, req, res));
  route(r, { method: 'patch', path: '/workspace', summary: 'Update settings (notification URL and kinds, catalog enforcement)', tag, scope: 'webhooks:write', body: WorkspacePatch, responses: { 200: WorkspaceOut } }, requireScope('webhooks:write'), (req, res) => updateWorkspaceSettings(deps, req, res));
  route(r, { method: 'get', path: '/workspace/notification-secret', summary: 'Secret that signs notifications', tag, scope: 'webhooks:write', responses: { 200: z.object({ secret: z.string() }) } }, requireScope('webhooks:write'), (req, res) => getNotificationSecret(deps, req, res));
  return r;
}
