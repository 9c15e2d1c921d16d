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
import { Batcher } from '../../batcher';
import type { Db } from '../../db/knex';
import type { Dispatcher } from '../../services/dispatcher';
import type { StartSpec } from '../../services/dispatch';
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

interface PublishItem {
  workspaceId: string;
  body: z.infer<typeof EventIn>;
  key: string | null;
  hash: string;
  /** Bytes of body.data (bounds a batch's size). */
  size: number;
}

type Spec = StartSpec & { delivery: StartSpec['delivery'] & { status: 'pending' | 'skipped' } };

/** What became of one publish in its batch. */
type Published =
  | { kind: 'created'; event: repo.EventRow; specs: Spec[] }
  /** The workspace has an event with this Idempotency-Key (stored earlier or earlier in the batch). */
  | { kind: 'existing' }
  /** The dispatch backlog has no room: nothing was stored. */
  | { kind: 'full' }
  | { kind: 'error'; error: unknown };

/** The deliveries of an event: one per subscribed webhook whose content filter matches. */
function deliveriesOf(ctx: repo.PublishContext, item: PublishItem, eventId: string): Spec[] {
  const { body, workspaceId } = item;
  // A disabled webhook gets a `skipped` row (no workflow) that recover/replay can send once it
  // is enabled again.
  return ctx.webhooks
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
}

/**
 * The workspaces whose publishes make a batch a burst: those with several events in it, or, when
 * each has one, all of them (many workspaces publishing at once).
 */
export function burstingWorkspaces(items: { workspaceId: string }[]): string[] {
  const counts = new Map<string, number>();
  for (const { workspaceId } of items) counts.set(workspaceId, (counts.get(workspaceId) ?? 0) + 1);
  const several = [...counts].filter(([, n]) => n > 1).map(([ws]) => ws);
  return several.length ? several : [...counts.keys()];
}

/**
 * Publishes a batch of events (see Batcher): one query loads the publish context of every
 * (workspace, type) of the batch, one statement stores every event with its deliveries. An
 * event that fails its own checks fails alone; when the statement fails, the events are stored
 * one by one so that only the culprit fails.
 */
async function publishBatch(db: Db, dispatcher: Dispatcher, items: PublishItem[]): Promise<Published[]> {
  // Publishes arriving together are a burst: the dispatcher lets it be stored first.
  if (items.length > 1) dispatcher.noteIngest(burstingWorkspaces(items));
  const keyOf = (k: repo.PublishKey) => `${k.workspaceId}\u0000${k.type}`;
  const wanted = items.map((i): repo.PublishKey => ({ workspaceId: i.workspaceId, type: i.body.type }));
  const distinct = [...new Map(wanted.map((k) => [keyOf(k), k])).values()];
  const contexts = await repo.loadPublishContexts(db, distinct);
  const ctxOf = new Map(distinct.map((k, n) => [keyOf(k), contexts[n]]));

  const out: Published[] = [];
  const rows: { n: number; row: repo.NewEvent; specs: Spec[] }[] = [];
  /** Idempotency key → the batch's first publish with it; later ones share its fate. */
  const firstWithKey = new Map<string, number>();
  const repeats: [n: number, first: number][] = [];
  let reserved = 0;
  items.forEach((item, n) => {
    try {
      const ctx = ctxOf.get(keyOf(wanted[n]));
      if (!ctx) throw notFound('workspace', item.workspaceId);
      checkCatalog(ctx, item.body.type, item.body.data);
      if (item.key !== null) {
        const k = `${item.workspaceId}\u0000${item.key}`;
        const first = firstWithKey.get(k);
        if (first !== undefined) return void repeats.push([n, first]);
        firstWithKey.set(k, n);
      }
      const eventId = newId('evt');
      const specs = deliveriesOf(ctx, item, eventId);
      const starts = specs.filter((s) => s.delivery.status === 'pending').length;
      // Refused before anything is stored, so a retry cannot duplicate the event.
      if (!dispatcher.hasRoom(starts, reserved)) return void (out[n] = { kind: 'full' });
      reserved += starts;
      const { workspaceId, body, key, hash } = item;
      const event = {
        id: eventId,
        workspace_id: workspaceId,
        type: body.type,
        payload: body.data,
        idempotency_key: key,
        request_hash: hash,
      };
      rows.push({ n, row: { event, deliveries: specs.map((s) => s.delivery) }, specs });
    } catch (error) {
      out[n] = { kind: 'error', error };
    }
  });

  const store = async (batch: typeof rows) => {
    const stored = await repo.insertEventsWithDeliveries(
      db,
      batch.map((r) => r.row),
    );
    for (const { n, row, specs } of batch) {
      const event = stored.get(row.event.id);
      out[n] = event ? { kind: 'created', event, specs } : { kind: 'existing' };
    }
  };
  try {
    await store(rows);
  } catch (error) {
    if (rows.length === 1) out[rows[0].n] = { kind: 'error', error };
    else await Promise.all(rows.map((r) => store([r]).catch((err: unknown) => void (out[r.n] = { kind: 'error', error: err }))));
  }
  // A repeated key is a replay of the stored event, or fails as its first publish failed.
  for (const [n, first] of repeats) out[n] = out[first].kind === 'created' ? { kind: 'existing' } : out[first];
  return out;
}

const publishers = new WeakMap<Dispatcher, Batcher<PublishItem, Published>>();

/** The publish batcher of this dispatcher (one per process; tests build their own dispatchers). */
function publisherOf(deps: ApiDeps): Batcher<PublishItem, Published> {
  let b = publishers.get(deps.dispatcher);
  if (!b) {
    const { db, dispatcher } = deps;
    b = new Batcher((items) => publishBatch(db, dispatcher, items), {
      maxBatch: 200,
      maxInFlight: 2,
      sizeOf: (i) => i.size,
      maxSize: 4 * 1024 * 1024,
    });
    publishers.set(deps.dispatcher, b);
  }
  return b;
}

/**
 * Stores the event and one delivery per subscribed webhook whose filter matches (a disabled
 * one's `skipped`) and answers 202: the dispatcher starts their workflows after the commit, so
 * the producer never waits on Temporal; if the process dies before they are started, the
 * reconciler starts them. Concurrent publishes share their round trips to PostgreSQL (one
 * statement, one commit per batch). Past the dispatch backlog, nothing is stored and the answer
 * is 503.
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
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const published = await publisherOf(deps).add({ workspaceId, body, key, hash, size });
  if (published.kind === 'error') throw published.error;
  if (published.kind === 'created') {
    const { event, specs } = published;
    deps.metrics?.eventsPublished.inc();
    // Started after the answer; a failure is logged there and left to the reconciler.
    void deps.dispatcher.enqueue(
      event.id,
      specs.filter((s) => s.delivery.status === 'pending'),
    );
    // 202 Accepted: the deliveries as created, in the same statement as the event (their
    // progress is at GET /v1/deliveries/:id).
    const created = specs.map(({ delivery: d }) => ({
      ...d,
      created_at: event.created_at,
      last_response_code: null,
      last_response_time_ms: null,
    }));
    res.status(202).location(`/v1/events/${event.id}`).json(toEventOut(event, created));
    return;
  }
  // Same key: the stored event, as it is now; an event already stored under this key is
  // answered as usual even when the backlog is full (its deliveries are queued already).
  const existing = key === null ? undefined : await repo.getEventByIdempotencyKey(deps.db, workspaceId, key);
  if (!existing && published.kind === 'existing') {
    throw new ProblemError(409, 'Conflict', 'this Idempotency-Key expired while the request ran; send it again');
  }
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
