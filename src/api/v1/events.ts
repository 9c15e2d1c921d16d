import { createHash } from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import * as deliveriesRepo from '../../db/repositories/deliveries';
import * as repo from '../../db/repositories/events';
import { newId } from '../../domain/ids';
import { EVENT_TYPE_RE, matchesSubscription, PATTERN_RE } from '../../domain/subscription';
import { matchesFilter } from '../../domain/content-filter';
import { deliveryWorkflowId } from '../../../workflows/definitions';
import type { ApiDeps } from '../deps';
import { invalid, notFound, ProblemError, zodProblem } from '../errors';
import { validateData } from '../json-schema';
import { route, type Input } from '../route';
import { ListQuery, listOf, page, timestamp } from '../list';
import { DELIVERY_STATUSES } from '../../../workflows/definitions';
import { toDeliveryListItem, DeliveryListItem } from './delivery-schemas';

export const EventIn = z
  .object({
    type: z.string().min(1).max(200).regex(EVENT_TYPE_RE, 'must be dot-separated segments like task.created'),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();

export const EventOut = z.object({
  id: z.string(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  deliveries: z.array(DeliveryListItem.extend({ webhook_id: z.string() })),
});

const IdempotencyKey = z.string().min(1).max(255).describe('Idempotency-Key');
const IdParams = z.object({ id: z.string().regex(/^evt_[0-9a-z]{26}$/, 'not an event id') });

type EventDelivery = Parameters<typeof toDeliveryListItem>[0] & { webhook_id: string };

function toEventOut(e: repo.EventRow, ds: EventDelivery[]): z.infer<typeof EventOut> {
  return {
    id: e.id,
    type: e.type,
    data: e.payload as Record<string, unknown>,
    created_at: e.created_at.toISOString(),
    deliveries: ds.map((d) => ({ ...toDeliveryListItem(d), webhook_id: d.webhook_id })),
  };
}

async function eventOut(deps: ApiDeps, e: repo.EventRow): Promise<z.infer<typeof EventOut>> {
  return toEventOut(e, await deliveriesRepo.listDeliveriesOfEvent(deps.db, e.id));
}

/** The workspace's event-type catalog: the type's JSON Schema, and unknown types if enforced. */
function checkCatalog(ctx: repo.PublishContext, type: string, data: unknown): void {
  if (!ctx.eventType && ctx.enforceCatalog) {
    throw invalid(`event type ${type} is not in this workspace's catalog (POST /v1/event-types)`, [
      { path: 'body.type', message: 'unknown event type' },
    ]);
  }
  if (ctx.eventType?.schema) {
    const errors = validateData(ctx.eventType.schema, data);
    if (errors.length) throw invalid(`data does not match the schema of ${type}`, errors);
  }
}

/** 503 with Retry-After: this process holds more undispatched deliveries than it may. */
function backlogFull(deps: ApiDeps): ProblemError {
  const retryAfter = deps.dispatcher.retryAfterS();
  return new ProblemError(
    503,
    'Service Unavailable',
    `${deps.dispatcher.backlog} deliveries are waiting to be started (limit HOOKFLOW_MAX_DISPATCH_BACKLOG=${deps.config.HOOKFLOW_MAX_DISPATCH_BACKLOG}); retry in ${retryAfter} s`,
    { retry_after_s: retryAfter },
  );
}

/**
 * Stores the event and one delivery per subscribed webhook whose filter matches (a
 * disabled one's `skipped`) in one statement (one
 * transaction) and answers 202: the dispatcher starts their workflows after the commit, so the
 * producer never waits on Temporal. If the process dies before they are started, the
 * reconciler starts them. Past the dispatch backlog, nothing is stored and the answer is 503.
 */
export async function createEvent(deps: ApiDeps, { body, workspaceId, req }: Input<{ body: typeof EventIn }>, res: Response) {
  const size = Buffer.byteLength(JSON.stringify(body.data));
  if (size > deps.config.HOOKFLOW_MAX_PAYLOAD_BYTES) {
    throw new ProblemError(413, 'Payload Too Large', `event data is ${size} bytes; the limit is ${deps.config.HOOKFLOW_MAX_PAYLOAD_BYTES}`);
  }
  const rawKey = req.get('idempotency-key');
  let key: string | null = null;
  if (rawKey !== undefined) {
    const k = IdempotencyKey.safeParse(rawKey);
    if (!k.success) throw zodProblem(k.error, 'headers');
    key = k.data;
  }
  const ctx = await repo.loadPublishContext(deps.db, workspaceId, body.type);
  if (!ctx) throw notFound('workspace', workspaceId);
  checkCatalog(ctx, body.type, body.data);
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');

  const eventId = newId('evt');
  // Subscription and content filter decide who gets the event; a disabled webhook gets a
  // `skipped` row (no workflow) that recover/replay can send once it is enabled again.
  const specs = ctx.webhooks
    .filter((w) => matchesSubscription(w.events, body.type) && matchesFilter(w.filter, body.data))
    .map((w) => ({
      delivery: {
        id: newId('dlv'),
        workspace_id: workspaceId,
        event_id: eventId,
        webhook_id: w.id,
        event_type: body.type,
        workflow_id: deliveryWorkflowId(eventId, w.id),
        status: w.status === 'active' ? ('pending' as const) : ('skipped' as const),
      },
      webhook: w,
      fairnessWeight: ctx.fairnessWeight,
    }));
  // Refused before anything is stored, so a retry cannot duplicate the event; an event already
  // stored under this key is answered as usual (its deliveries are queued already).
  const toStart = specs.filter((s) => s.delivery.status === 'pending');
  const full = !deps.dispatcher.hasRoom(toStart.length);
  const event = full
    ? undefined
    : await repo.insertEventWithDeliveries(
        deps.db,
        { id: eventId, workspace_id: workspaceId, type: body.type, payload: body.data, idempotency_key: key, request_hash: hash },
        specs.map((s) => s.delivery),
      );
  if (!event) {
    // Same key: the stored event, as it is now.
    const existing = key === null ? undefined : await repo.getEventByIdempotencyKey(deps.db, workspaceId, key);
    if (!existing && !full) throw new ProblemError(409, 'Conflict', 'this Idempotency-Key expired while the request ran; send it again');
    if (!existing) {
      const problem = backlogFull(deps);
      res.set('retry-after', String(problem.extra.retry_after_s));
      deps.metrics?.publishRefused.inc();
      throw problem;
    }
    if (existing.request_hash !== hash) {
      throw new ProblemError(422, 'Unprocessable Entity', 'this Idempotency-Key was already used with a different request body');
    }
    res
      .status(202)
      .set('Idempotent-Replayed', 'true')
      .json(await eventOut(deps, existing));
    return;
  }
  deps.metrics?.eventsPublished.inc();
  // Started after the answer; a failure is logged there and left to the reconciler.
  void deps.dispatcher.enqueue(event.id, toStart);
  // 202 Accepted: the deliveries as created, in the same statement as the event (their progress
  // is at GET /v1/deliveries/:id).
  const created = specs.map(({ delivery: d }) => ({
    ...d,
    created_at: event.created_at,
    last_response_code: null,
    last_response_time_ms: null,
  }));
  res.status(202).location(`/v1/events/${event.id}`).json(toEventOut(event, created));
}

export const EventListQuery = ListQuery.extend({
  type: z
    .string()
    .max(200)
    .regex(PATTERN_RE, 'an event type, a prefix like task.*, or *')
    .optional()
    .describe('exact (task.created) or prefix (task.*)'),
  since: timestamp.optional().describe('published at or after'),
  until: timestamp.optional().describe('published before'),
  idempotency_key: z.string().min(1).max(255).optional().describe("the producer's Idempotency-Key (kept 24 h)"),
});

export const EventListItem = z.object({
  id: z.string(),
  type: z.string(),
  created_at: z.string(),
  idempotency_key: z.string().nullable(),
  delivery_counts: z
    .partialRecord(z.enum(DELIVERY_STATUSES), z.number().int())
    .describe('deliveries by status, e.g. {"success": 2, "retrying": 1}'),
});

/** The workspace's events, newest first, each with its deliveries counted by status. */
export async function listEvents(deps: ApiDeps, { query, workspaceId }: Input<{ query: typeof EventListQuery }>, res: Response) {
  const rows = await repo.searchEvents(deps.db, workspaceId, {
    type: query.type,
    since: query.since,
    until: query.until,
    idempotencyKey: query.idempotency_key,
    limit: query.limit + 1,
    before: query.cursor,
  });
  const { items, next_cursor } = page(rows, query.limit);
  res.json({
    data: items.map((e) => ({
      id: e.id,
      type: e.type,
      created_at: e.created_at.toISOString(),
      idempotency_key: e.idempotency_key,
      delivery_counts: e.delivery_counts,
    })),
    next_cursor,
  });
}

export async function getEvent(deps: ApiDeps, { params, workspaceId }: Input<{ params: typeof IdParams }>, res: Response) {
  const e = await repo.getEvent(deps.db, workspaceId, params.id);
  if (!e) throw notFound('event', params.id);
  res.json(await eventOut(deps, e));
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Events';
  route(
    r,
    deps,
    {
      operationId: 'createEvent',
      method: 'post',
      path: '/events',
      summary: 'Publish an event to every subscribed webhook',
      tag,
      scope: 'events:write',
      body: EventIn,
      headers: [{ name: 'Idempotency-Key', description: 'the same key returns the same event and starts nothing new' }],
      responses: { 202: EventOut },
    },
    createEvent,
  );
  route(
    r,
    deps,
    {
      operationId: 'listEvents',
      method: 'get',
      path: '/events',
      summary: 'Events, newest first, by type, time range or Idempotency-Key, with delivery counts by status',
      tag,
      scope: 'deliveries:read',
      query: EventListQuery,
      responses: { 200: listOf(EventListItem) },
    },
    listEvents,
  );
  route(
    r,
    deps,
    {
      operationId: 'getEvent',
      method: 'get',
      path: '/events/:id',
      summary: 'An event and its deliveries',
      tag,
      scope: 'deliveries:read',
      params: IdParams,
      responses: { 200: EventOut },
    },
    getEvent,
  );
  return r;
}
