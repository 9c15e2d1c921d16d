import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as repo from '../../db/repositories/event-types';
import { EVENT_TYPE_RE } from '../../domain/subscription';
import { requireScope, ws } from '../auth';
import type { ApiDeps } from '../deps';
import { invalid, ProblemError } from '../errors';
import { compileDataSchema } from '../json-schema';
import { decodeCursor, encodeCursor, parse } from '../validate';
import { route } from '../openapi';

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

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(400).optional(),
});

const toOut = (r: repo.EventTypeRow): z.infer<typeof EventTypeOut> => ({
  name: r.name,
  description: r.description,
  schema: r.schema,
  created_at: r.created_at.toISOString(),
});

export async function createEventType(deps: ApiDeps, req: Request, res: Response) {
  const body = parse(EventTypeIn, req, 'body');
  if (body.schema) {
    try {
      compileDataSchema(body.schema);
    } catch (err) {
      throw invalid(`schema is not a valid JSON Schema: ${(err as Error).message}`, [{ path: 'body.schema', message: (err as Error).message }]);
    }
  }
  const { row, created } = await repo.upsertEventType(deps.db, { workspace_id: ws(req), ...body }, false);
  if (!created) throw new ProblemError(409, 'Conflict', `event type ${body.name} already exists`);
  res.status(201).json(toOut(row));
}

export async function listEventTypes(deps: ApiDeps, req: Request, res: Response) {
  const q = parse(ListQuery, req, 'query');
  const rows = await repo.listEventTypes(deps.db, ws(req), q.limit + 1, decodeCursor(q.cursor));
  const items = rows.slice(0, q.limit);
  res.json({ data: items.map(toOut), next_cursor: rows.length > q.limit ? encodeCursor(items[items.length - 1].name) : null });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Event types';
  route(r, { method: 'get', path: '/event-types', summary: 'The event-type catalog', tag, scope: 'webhooks:read', query: ListQuery, responses: { 200: z.object({ data: z.array(EventTypeOut), next_cursor: z.string().nullable() }) } }, requireScope('webhooks:read'), (req, res) => listEventTypes(deps, req, res));
  route(r, { method: 'post', path: '/event-types', summary: 'Add an event type (optional JSON Schema for data)', tag, scope: 'webhooks:write', body: EventTypeIn, responses: { 201: EventTypeOut } }, requireScope('webhooks:write'), (req, res) => createEventType(deps, req, res));
  return r;
}
