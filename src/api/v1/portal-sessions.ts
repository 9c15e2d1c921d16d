import { Router, type Response } from 'express';
import { z } from 'zod';
import { createPortalSession as insertSession } from '../../db/repositories/portal-sessions';
import { findWorkspace } from '../../db/repositories/workspaces';
import { ADMIN_SCOPE } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound, ProblemError } from '../errors';
import { route, type Input } from '../route';

export const PortalSessionIn = z
  .object({
    workspace: z.string().min(1).max(64).optional().describe('ws_… id or uid; default: the workspace of the request'),
    expires_in_s: z
      .number()
      .int()
      .min(60)
      .max(7 * 86400)
      .default(3600),
    read_only: z.boolean().default(false),
  })
  .strict();

export const PortalSessionOut = z.object({
  url: z.string().describe('opens the portal for this workspace; the token travels in the URL fragment'),
  token: z.string().describe('the bearer token itself (hfp_…), for an embedding that passes it otherwise'),
  expires_at: z.string(),
  workspace_id: z.string(),
  read_only: z.boolean(),
});

/**
 * A short-lived link to the portal for one workspace: what a SaaS puts behind the "Webhooks"
 * link of its own settings page. Admin keys name any workspace; other keys only their own.
 */
export async function createPortalSession(
  deps: ApiDeps,
  { body, auth, workspaceId, req }: Input<{ body: typeof PortalSessionIn }>,
  res: Response,
) {
  let target = workspaceId;
  if (body.workspace) {
    const w = await findWorkspace(deps.db, body.workspace);
    if (!auth.scopes.includes(ADMIN_SCOPE) && w?.id !== auth.homeWorkspaceId) {
      throw new ProblemError(403, 'Forbidden', 'this API key can only open the portal of its own workspace');
    }
    if (!w) throw notFound('workspace', body.workspace);
    target = w.id;
  }
  const expiresAt = new Date(Date.now() + body.expires_in_s * 1000);
  const { token } = await insertSession(deps.db, { workspaceId: target, readOnly: body.read_only, expiresAt, createdByKeyId: auth.keyId });
  const base = deps.config.HOOKFLOW_PUBLIC_URL?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host')}`;
  res
    .set('cache-control', 'no-store')
    .status(201)
    .json({
      url: `${base}/portal/#token=${token}`,
      token,
      expires_at: expiresAt.toISOString(),
      workspace_id: target,
      read_only: body.read_only,
    });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  route(
    r,
    deps,
    {
      operationId: 'createPortalSession',
      method: 'post',
      path: '/portal-sessions',
      summary: 'A short-lived portal link for one workspace',
      tag: 'Portal',
      scope: 'webhooks:write',
      body: PortalSessionIn,
      responses: { 201: PortalSessionOut },
    },
    createPortalSession,
  );
  return r;
}
