import { Router, type Response } from 'express';
import { z } from 'zod';
import * as repo from '../../db/repositories/workspaces';
import { countActiveWebhooks } from '../../db/repositories/webhooks';
import { newId } from '../../domain/ids';
import { evictKeyId, evictWorkspace } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound, ProblemError } from '../errors';
import { route, type Input } from '../route';
import { listOf, ListQuery, page } from '../list';

/** The SaaS's own customer id; never `ws_…`, so it cannot be mistaken for a workspace id. */
const Uid = z.string().regex(/^(?!ws_)[a-zA-Z0-9_.-]{1,64}$/, 'must be 1–64 characters of a-z A-Z 0-9 _ . - and not start with ws_');
const Limit = z
  .number()
  .int()
  .min(0)
  .max(10_000)
  .nullable()
  .describe('active webhooks allowed; null = the server default (HOOKFLOW_MAX_WEBHOOKS)');

const FairnessWeight = z
  .number()
  .min(0.001)
  .max(1000)
  .describe(
    "the workspace's share of the delivery queue while workspaces compete (Temporal fairness weight; 1 = an equal share, e.g. 3 for a paid tier)",
  );

export const WorkspaceIn = z
  .object({
    name: z.string().trim().min(1).max(200),
    uid: Uid.optional(),
    max_active_webhooks: Limit.optional(),
    fairness_weight: FairnessWeight.optional(),
  })
  .strict();
export const WorkspaceAdminPatch = z
  .object({ name: z.string().trim().min(1).max(200), uid: Uid.nullable(), max_active_webhooks: Limit, fairness_weight: FairnessWeight })
  .partial()
  .strict();

export const WorkspaceAdminOut = z.object({
  id: z.string(),
  uid: z.string().nullable(),
  name: z.string(),
  max_active_webhooks: z.number().int().describe('the limit in force (own or default)'),
  active_webhooks: z.number().int(),
  fairness_weight: z.number(),
  created_at: z.string(),
});

const IdParams = z.object({ id: z.string().min(1).max(64).describe('ws_… id or uid') });

export const effectiveLimit = (deps: ApiDeps, w: Pick<repo.WorkspaceRow, 'max_active_webhooks'>) =>
  w.max_active_webhooks ?? deps.config.HOOKFLOW_MAX_WEBHOOKS;

async function toOut(deps: ApiDeps, w: repo.WorkspaceRow): Promise<z.infer<typeof WorkspaceAdminOut>> {
  return {
    id: w.id,
    uid: w.uid,
    name: w.name,
    max_active_webhooks: effectiveLimit(deps, w),
    active_webhooks: await countActiveWebhooks(deps.db, w.id),
    fairness_weight: w.fairness_weight,
    created_at: w.created_at.toISOString(),
  };
}

async function load(deps: ApiDeps, idOrUid: string): Promise<repo.WorkspaceRow> {
  const w = await repo.findWorkspace(deps.db, idOrUid);
  if (!w) throw notFound('workspace', idOrUid);
  return w;
}

const uidTaken = (uid: string) =>
  new ProblemError(409, 'Conflict', `a workspace with uid ${uid} already exists`, {
    errors: [{ path: 'body.uid', message: 'already used by another workspace' }],
  });

export async function createWorkspace(deps: ApiDeps, { body }: Input<{ body: typeof WorkspaceIn }>, res: Response) {
  const row = await repo.insertWorkspace(deps.db, {
    id: newId('ws'),
    name: body.name,
    uid: body.uid ?? null,
    max_active_webhooks: body.max_active_webhooks ?? null,
    fairness_weight: body.fairness_weight ?? 1,
  });
  if (!row) throw uidTaken(body.uid!);
  res
    .status(201)
    .location(`/v1/workspaces/${row.id}`)
    .json(await toOut(deps, row));
}

export async function listWorkspaces(deps: ApiDeps, { query }: Input<{ query: typeof ListQuery }>, res: Response) {
  const { items, next_cursor } = page(await repo.listWorkspaces(deps.db, query.limit + 1, query.cursor), query.limit);
  res.json({ data: await Promise.all(items.map((w) => toOut(deps, w))), next_cursor });
}

export async function getWorkspace(deps: ApiDeps, { params }: Input<{ params: typeof IdParams }>, res: Response) {
  res.json(await toOut(deps, await load(deps, params.id)));
}

export async function updateWorkspace(
  deps: ApiDeps,
  { params, body }: Input<{ params: typeof IdParams; body: typeof WorkspaceAdminPatch }>,
  res: Response,
) {
  const w = await load(deps, params.id);
  try {
    const row = await repo.updateWorkspace(deps.db, w.id, body);
    if (!row) throw notFound('workspace', params.id);
    evictWorkspace(w.id);
    res.json(await toOut(deps, row));
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw uidTaken(body.uid!);
    throw err;
  }
}

/** Revokes its keys and portal sessions and disables its webhooks; not the caller's own. */
export async function deleteWorkspace(deps: ApiDeps, { params, auth }: Input<{ params: typeof IdParams }>, res: Response) {
  const w = await load(deps, params.id);
  if (w.id === auth.homeWorkspaceId) throw new ProblemError(409, 'Conflict', 'an admin key cannot delete its own workspace');
  const revoked = await repo.deleteWorkspace(deps.db, w.id);
  if (!revoked) throw notFound('workspace', params.id);
  revoked.forEach(evictKeyId);
  evictWorkspace(w.id);
  res.status(204).end();
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Workspaces (admin)';
  const scope = 'workspaces:admin';
  route(
    r,
    deps,
    {
      operationId: 'createWorkspace',
      method: 'post',
      path: '/workspaces',
      summary: 'Create a workspace (a customer of the SaaS)',
      tag,
      scope,
      body: WorkspaceIn,
      responses: { 201: WorkspaceAdminOut },
    },
    createWorkspace,
  );
  route(
    r,
    deps,
    {
      operationId: 'listWorkspaces',
      method: 'get',
      path: '/workspaces',
      summary: 'List workspaces, newest first',
      tag,
      scope,
      query: ListQuery,
      responses: { 200: listOf(WorkspaceAdminOut) },
    },
    listWorkspaces,
  );
  route(
    r,
    deps,
    {
      operationId: 'getWorkspace',
      method: 'get',
      path: '/workspaces/:id',
      summary: 'Get a workspace by id or uid',
      tag,
      scope,
      params: IdParams,
      responses: { 200: WorkspaceAdminOut },
    },
    getWorkspace,
  );
  route(
    r,
    deps,
    {
      operationId: 'updateWorkspace',
      method: 'patch',
      path: '/workspaces/:id',
      summary: 'Rename, set the uid or the active-webhook limit',
      tag,
      scope,
      params: IdParams,
      body: WorkspaceAdminPatch,
      responses: { 200: WorkspaceAdminOut },
    },
    updateWorkspace,
  );
  route(
    r,
    deps,
    {
      operationId: 'deleteWorkspace',
      method: 'delete',
      path: '/workspaces/:id',
      summary: 'Delete a workspace: revokes its keys and sessions, disables its webhooks',
      tag,
      scope,
      params: IdParams,
      responses: { 204: null },
    },
    deleteWorkspace,
  );
  return r;
}
