import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import * as deliveries from '../db/repositories/deliveries';
import * as events from '../db/repositories/events';
import { getFairnessWeight } from '../db/repositories/workspaces';
import { repairClosedRuns } from './closed-runs';
import type { Dispatcher } from './dispatcher';
import { deliveryPriority, SA, type AttemptTrigger, type DeliveryStatus } from '../../workflows/definitions';

export interface DispatchDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  /** Eager start: only useful when this client shares a NativeConnection with a local worker. */
  eager: boolean;
  log: Logger;
}

/** What the Web UI shows of the webhook; profile and budget when the caller has them. */
export interface WebhookSummary {
  name: string;
  url: string;
  profile?: string;
  max_attempts?: number;
}

export interface StartSpec {
  delivery: Pick<deliveries.DeliveryRow, 'id' | 'event_id' | 'webhook_id' | 'workspace_id' | 'event_type' | 'workflow_id'>;
  webhook: WebhookSummary;
  /** The workspace's fairness weight; read from its row when the caller has not loaded it. */
  fairnessWeight?: number;
  trigger?: AttemptTrigger;
  firstAttemptNo?: number;
  /** Replays and manual retries start a new run of a closed workflow id. */
  rerun?: boolean;
  status?: DeliveryStatus;
}

/**
 * The workflow's user metadata in the Web UI (markdown): the summary is the list's "Summary"
 * column and the page's title line, the details the page's "User Metadata" section.
 */
export function deliveryMetadata(spec: Pick<StartSpec, 'delivery' | 'webhook' | 'trigger' | 'firstAttemptNo'>): {
  staticSummary: string;
  staticDetails: string;
} {
  const d = spec.delivery;
  let host = spec.webhook.url;
  try {
    host = new URL(spec.webhook.url).host;
  } catch {
    /* keep the raw url */
  }
  const lines = [
    `**Delivery** \`${d.id}\``,
    `**Event** \`${d.event_id}\` (${d.event_type})`,
    `**Webhook** \`${d.webhook_id}\` ${spec.webhook.name} → ${host}`,
    spec.webhook.profile ? `**Profile** ${spec.webhook.profile}` : null,
    spec.webhook.max_attempts ? `**Attempt budget** ${spec.webhook.max_attempts} attempts` : null,
    spec.firstAttemptNo && spec.firstAttemptNo > 1
      ? `**This run** starts at attempt ${spec.firstAttemptNo} (${spec.trigger ?? 'scheduled'})`
      : null,
  ];
  return {
    staticSummary: `${d.event_type} → ${spec.webhook.name} (${host})`,
    staticDetails: lines.filter((l) => l !== null).join('  \n'),
  };
}

/**
 * Starts one delivery workflow; an already running or finished one is not started twice. The
 * run carries its workspace as fairness key and its trigger's priority (deliveryPriority).
 */
export async function startDelivery(deps: DispatchDeps, spec: StartSpec): Promise<boolean> {
  const d = spec.delivery;
  const weight = spec.fairnessWeight ?? (await getFairnessWeight(deps.db, d.workspace_id));
  try {
    await deps.client.workflow.start('deliveryWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId: d.workflow_id,
      args: [{ deliveryId: d.id, trigger: spec.trigger, firstAttemptNo: spec.firstAttemptNo }],
      workflowIdReusePolicy: spec.rerun ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: SA.WebhookId, value: d.webhook_id },
        { key: SA.EventId, value: d.event_id },
        { key: SA.EventType, value: d.event_type },
        { key: SA.WorkspaceId, value: d.workspace_id },
        { key: SA.DeliveryStatus, value: spec.status ?? 'pending' },
      ],
      ...deliveryMetadata(spec),
      priority: deliveryPriority(spec.trigger ?? 'scheduled', d.workspace_id, weight),
      requestEagerStart: deps.eager,
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

const MARK_BATCH_MS = 20;
const GRPC_UNIMPLEMENTED = 12;
const pendingMarks = new WeakMap<Db, Set<string>>();

/**
 * Marks a dispatched event soon, batched with the others of the next few milliseconds into one
 * UPDATE. Losing a mark (crash, database error) only means the reconciler starts the event's
 * workflows again, which workflow-id uniqueness makes harmless.
 */
export function markDispatchedSoon(deps: DispatchDeps, eventId: string): void {
  let batch = pendingMarks.get(deps.db);
  if (!batch) {
    const ids = new Set<string>();
    batch = ids;
    pendingMarks.set(deps.db, ids);
    setTimeout(() => {
      pendingMarks.delete(deps.db);
      events
        .markDispatched(deps.db, [...ids])
        .catch((err) => deps.log.debug({ err }, 'could not mark events dispatched; the reconciler will'));
    }, MARK_BATCH_MS).unref();
  }
  batch.add(eventId);
}

/**
 * Starts every delivery of an event now, then marks it dispatched (notifications: the worker
 * that queued one starts it at once; published events go through the Dispatcher).
 */
export async function dispatchEvent(deps: DispatchDeps, eventId: string): Promise<void> {
  const specs = await deliveries.listStartsOfEvent(deps.db, eventId);
  await Promise.all(specs.map((s) => startDelivery(deps, s)));
  await events.markDispatched(deps.db, [eventId]);
}

/**
 * Repairs the window between the event's commit and its workflow starts (a crash there leaves
 * dispatched_at NULL): queues such events on the dispatcher again, except those it still holds;
 * workflow-id uniqueness makes a repeated start harmless (another process's queue, a lost mark).
 * On a slower timer of its own, records deliveries whose run was closed from outside (see
 * repairClosedRuns): an operator's terminate is rare, and a visibility query per worker every
 * few seconds would be load for nothing.
 */
export function startReconciler(
  deps: DispatchDeps & { dispatcher: Dispatcher; afterS: number; everyMs?: number; closedRunsEveryMs?: number },
): { stop(): Promise<void>; runOnce(): Promise<number> } {
  let running: Promise<number> | null = null;
  const runOnce = async () => {
    const pending = (await events.listUndispatched(deps.db, deps.afterS)).filter((e) => !deps.dispatcher.holds(e.id));
    // Resolves once every start answered (a failed one is logged by the dispatcher).
    await Promise.allSettled(pending.map(async (e) => deps.dispatcher.enqueue(e.id, await deliveries.listStartsOfEvent(deps.db, e.id))));
    if (pending.length) deps.log.warn({ count: pending.length }, 'reconciler re-dispatched events');
    await events.expireIdempotencyKeys(deps.db);
    return pending.length;
  };
  const tick = () => {
    if (running) return;
    running = runOnce()
      .catch((err) => (deps.log.error({ err }, 'reconciler pass failed'), 0))
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, deps.everyMs ?? 5000);
  timer.unref();
  tick();

  let repairing: Promise<unknown> | null = null;
  const repairTick = () => {
    if (repairing) return;
    repairing = repairClosedRuns(deps)
      .catch((err: Error & { code?: number; cause?: { code?: number } }) => {
        // The time-skipping test server has no visibility queries: nothing to repair there.
        if ((err.code ?? err.cause?.code) === GRPC_UNIMPLEMENTED) clearInterval(repairTimer);
        else deps.log.error({ err }, 'closed-run repair failed');
      })
      .finally(() => (repairing = null));
  };
  const repairTimer = setInterval(repairTick, deps.closedRunsEveryMs ?? 30_000);
  repairTimer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      clearInterval(repairTimer);
      await Promise.all([running, repairing]);
    },
  };
}
