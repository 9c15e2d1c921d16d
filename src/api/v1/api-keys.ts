import { Router, type Response } from 'express';
import { z } from 'zod';
import * as repo from '../../db/repositories/api-keys';
import { evictKeyId } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound, ProblemError } from '../errors';
import { ListQuery, listOf, page } from '../list';
import { route, type Input } from '../route';

export const ApiKeyIn = z
  .object({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(z.enum(repo.SCOPES)).min(1).optional(),
  })
  .strict();

export const ApiKeyOut = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(repo.SCOPES)),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  key: z.string().optional().describe('the key itself, only in the response that created it'),
});

const IdParams = z.object({ id: z.string().regex(/^key_[0-9a-z]{26}$/, 'not an API key id') });

const toOut = (r: repo.ApiKeyRow, key?: string): z.infer<typeof ApiKeyOut> => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  created_at: r.created_at.toISOString(),
  last_used_at: r.last_used_at ? r.last_used_at.toISOString() : null,
  ...(key ? { key } : {}),
});

/** A key can only hand out scopes it has itself. */
export async function createApiKey(deps: ApiDeps, { body, auth, workspaceId }: Input<{ body: typeof ApiKeyIn }>, res: Response) {
  const scopes = body.scopes ?? auth.scopes;
  const extra = scopes.filter((s) => !auth.scopes.includes(s));
  if (extra.length) throw new ProblemError(403, 'Forbidden', `this API key cannot grant scopes it lacks: ${extra.join(', ')}`);
  const { key, row } = await repo.createApiKey(deps.db, { workspaceId, name: body.name, scopes });
  res.status(201).json(toOut(row, key));
}

export async function listApiKeys(deps: ApiDeps, { query, workspaceId }: Input<{ query: typeof ListQuery }>, res: Response) {
  const { items, next_cursor } = page(await repo.listApiKeys(deps.db, workspaceId, query.limit + 1, query.cursor), query.limit);
  res.json({ data: items.map((r) => toOut(r)), next_cursor });
}

export async function revokeApiKey(deps: ApiDeps, { params, workspaceId }: Input<{ params: typeof IdParams }>, res: Response) {
  if (!(await repo.revokeApiKey(deps.db, workspaceId, params.id))) throw notFound('API key', params.id);
  evictKeyId(params.id);
  res.status(204).end();
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'API keys';
  route(
    r,
    deps,
    {
      operationId: 'createApiKey',
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key (shown once)',
      tag,
      scope: 'webhooks:write',
      body: ApiKeyIn,
      responses: { 201: ApiKeyOut },
    },
    createApiKey,
  );
  route(
    r,
    deps,
    {
      operationId: 'listApiKeys',
      method: 'get',
      path: '/api-keys',
      summary: 'List API keys (never the keys themselves)',
      tag,
      scope: 'webhooks:read',
      query: ListQuery,
      responses: { 200: listOf(ApiKeyOut) },
    },
    listApiKeys,
  );
  route(
    r,
    deps,
    {
      operationId: 'revokeApiKey',
      method: 'delete',
      path: '/api-keys/:id',
      summary: 'Revoke an API key',
      tag,
      scope: 'webhooks:write',
      params: IdParams,
      responses: { 204: null },
    },
    revokeApiKey,
  );
  return r;
}
