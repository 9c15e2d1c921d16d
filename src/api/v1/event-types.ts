import { Router, type Response } from 'express';
import { z } from 'zod';
import * as repo from '../../db/repositories/event-types';
import { EVENT_TYPE_RE } from '../../domain/subscription';
import type { ApiDeps } from '../deps';
import { invalid, ProblemError } from '../errors';
import { compileDataSchema } from '../json-schema';
import { listOf, listQuery, page } from '../list';
import { route, type Input } from '../route';

export const EventTypeIn = z
  .object({
    name: z.string().min(1).max(200).regex(EVENT_TYPE_RE, 'must be dot-separated segments like task.created'),
    description: z.string().max(1000).default(''),
    schema: z.record(z.string(), z.unknown()).nullable().default(null).describe('JSON Schema (draft 2020-12) for the event data'),
  })
  .strict();

export const EventTypeOut = z.object({
  name: z.string(),
  description: z.string(),
  schema: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.string(),
});

const ListQuery = listQuery(50);

const toOut = (r: repo.EventTypeRow): z.infer<typeof EventTypeOut> => ({
  name: r.name,
  description: r.description,
  schema: r.schema,
  created_at: r.created_at.toISOString(),
});

export async function createEventType(deps: ApiDeps, { body, workspaceId }: Input<{ body: typeof EventTypeIn }>, res: Response) {
  if (body.schema) {
    try {
      compileDataSchema(body.schema);
    } catch (err) {
      throw invalid(`schema is not a valid JSON Schema: ${(err as Error).message}`, [
        { path: 'body.schema', message: (err as Error).message },
      ]);
    }
  }
  const { row, created } = await repo.upsertEventType(deps.db, { workspace_id: workspaceId, ...body }, false);
  if (!created) throw new ProblemError(409, 'Conflict', `event type ${body.name} already exists`);
  res.status(201).json(toOut(row));
}

export async function listEventTypes(deps: ApiDeps, { query, workspaceId }: Input<{ query: typeof ListQuery }>, res: Response) {
  const rows = await repo.listEventTypes(deps.db, workspaceId, query.limit + 1, query.cursor);
  const { items, next_cursor } = page(rows, query.limit, (t) => t.name);
  res.json({ data: items.map(toOut), next_cursor });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Event types';
  route(
    r,
    deps,
    {
      operationId: 'listEventTypes',
      method: 'get',
      path: '/event-types',
      summary: 'The event-type catalog',
      tag,
      scope: 'webhooks:read',
      query: ListQuery,
      responses: { 200: listOf(EventTypeOut) },
    },
    listEventTypes,
  );
  route(
    r,
    deps,
    {
      operationId: 'createEventType',
      method: 'post',
      path: '/event-types',
      summary: 'Add an event type (optional JSON Schema for data)',
      tag,
      scope: 'webhooks:write',
      body: EventTypeIn,
      responses: { 201: EventTypeOut },
    },
    createEventType,
  );
  return r;
}
