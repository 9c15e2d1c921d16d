import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../db/knex';
import * as deliveries from '../db/repositories/deliveries';
import { insertEvent, markDispatched } from '../db/repositories/events';
import type { WebhookRow } from '../db/repositories/webhooks';
import { newId } from '../domain/ids';
import { isFinal, retryNowSignal, type DeliveryStatusResult } from '../../workflows/definitions';
import { deliveryResult } from '../temporal/delivery-result';
import { startDelivery, type DispatchDeps, type WebhookSummary } from './dispatch';

export const TEST_EVENT_TYPE = 'webhook.test';
export const MAX_REPLAY_RANGE_MS = 14 * 86_400_000;

/**
 * Sends a `webhook.test` event to one webhook now, whatever its status, as a test delivery
 * (one attempt, no retries, no effect on the failure streak).
 */
export async function startTestDelivery(
  deps: DispatchDeps,
  webhook: WebhookRow,
): Promise<{ deliveryId: string; result: () => Promise<DeliveryStatusResult> }> {
  const eventId = newId('evt');
  const deliveryId = newId('dlv');
  const row = {
    id: deliveryId,
    workspace_id: webhook.workspace_id,
    event_id: eventId,
    webhook_id: webhook.id,
    event_type: TEST_EVENT_TYPE,
    is_test: true,
    workflow_id: `test:${deliveryId}`,
  };
  await deps.db.transaction(async (trx) => {
    await insertEvent(trx, {
      id: eventId,
      workspace_id: webhook.workspace_id,
      type: TEST_EVENT_TYPE,
      payload: { webhook_id: webhook.id, message: 'This is a test webhook from Hookflow.' },
      idempotency_key: null,
      request_hash: null,
    });
    await markDispatched(trx, [eventId]);
    await deliveries.insertDeliveries(trx, [row]);
  });
  await startDelivery(deps, { delivery: row, webhook, trigger: 'test' });
  return { deliveryId, result: () => deliveryResult(deps.client.workflow.getHandle(row.workflow_id)) };
}

/** Whether the delivery's workflow is still running (waiting for its next attempt). */
async function isRunning(deps: DispatchDeps, workflowId: string): Promise<boolean> {
  try {
    const d = await deps.client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * The id of the workflow's latest run, or null when Temporal does not answer within `timeoutMs`
 * (a delivery's GET must not hang or fail on Temporal: the database has the delivery's state).
 */
export async function latestRunId(client: DispatchDeps['client'], workflowId: string, timeoutMs = 1000): Promise<string | null> {
  try {
    const d = await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId).describe());
    return d.runId;
  } catch {
    return null;
  }
}

const FINISHING_WAIT_MS = 10_000;

/**
 * Whether the delivery is still in progress. A delivery whose row is already final has finished
 * its work, but its run may take a moment more to close: wait for that (bounded), so a signal is
 * never sent to a run that is about to ignore it and a restart never collides with it.
 */
async function inProgress(deps: DispatchDeps, d: deliveries.DeliveryRow): Promise<boolean> {
  if (!isFinal(d.status)) return isRunning(deps, d.workflow_id);
  const deadline = Date.now() + FINISHING_WAIT_MS;
  while (await isRunning(deps, d.workflow_id)) {
    if (Date.now() > deadline) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Starts a new run of a finished delivery; the receiver sees the same delivery id. */
async function rerun(
  deps: DispatchDeps,
  d: deliveries.DeliveryRow,
  webhook: WebhookSummary,
  trigger: 'manual' | 'replay' | 'recover',
): Promise<void> {
  await deliveries.updateDelivery(deps.db, d.id, { status: 'pending', completed_at: null, next_attempt_at: null });
  await startDelivery(deps, { delivery: d, webhook, trigger, firstAttemptNo: d.attempts + 1, rerun: true, status: 'pending' });
}

/** retry: signal a waiting workflow, or start a new run of a finished one. */
export async function retryDelivery(
  deps: DispatchDeps,
  d: deliveries.DeliveryRow,
  webhook: WebhookSummary,
): Promise<'signalled' | 'restarted'> {
  if (await inProgress(deps, d)) {
    await deps.client.workflow.getHandle(d.workflow_id).signal(retryNowSignal);
    return 'signalled';
  }
  await rerun(deps, d, webhook, 'manual');
  return 'restarted';
}

/**
 * cancel: false when the delivery has already finished (its row is final, or its run closed).
 * A native cancel request, as `temporal workflow cancel` sends: one path for API and operators
 * (the workflow records `cancelled` and closes as Canceled).
 */
export async function cancelDelivery(deps: DispatchDeps, d: deliveries.DeliveryRow): Promise<boolean> {
  if (isFinal(d.status) || !(await isRunning(deps, d.workflow_id))) return false;
  await deps.client.workflow.getHandle(d.workflow_id).cancel();
  return true;
}

/** Replays the webhook's failed/abandoned deliveries created in [since, until). */
export async function replayDeliveries(
  deps: DispatchDeps,
  db: Db,
  webhook: WebhookRow,
  opts: { since: Date; until: Date; statuses: deliveries.DeliveryRow['status'][]; trigger?: 'replay' | 'recover' },
): Promise<number> {
  const rows = await deliveries.listReplayable(db, webhook.workspace_id, webhook.id, opts);
  let queued = 0;
  for (const d of rows) {
    // A skipped delivery never had a workflow: nothing can be in progress.
    if (d.status !== 'skipped' && (await inProgress(deps, d))) continue;
    await rerun(deps, d, webhook, opts.trigger ?? 'replay');
    queued++;
  }
  return queued;
}
