import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import * as deliveries from '../db/repositories/deliveries';
import { closedRunOutcome, type ClosedRun } from '../domain/closed-run';

/** How far back a pass looks for closed runs (a reconciler down for longer misses older ones). */
const LOOKBACK_MS = 7 * 86_400_000;
/** Runs examined per pass: the rest wait for the next pass. */
const MAX_PER_PASS = 200;

/** The close event of a run: who terminated it and why, or its failure. */
async function describeClose(client: Client, workflowId: string, runId: string, status: string): Promise<ClosedRun> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const last = history.events?.at(-1);
  const terminated = last?.workflowExecutionTerminatedEventAttributes;
  const failed = last?.workflowExecutionFailedEventAttributes;
  return { status, reason: terminated?.reason, identity: terminated?.identity, failure: failed?.failure?.message };
}

/**
 * Finds deliveries whose workflow run closed while their row is not final: a run terminated
 * (`temporal workflow terminate`), cancelled natively without handling it, timed out or
 * crashed. The workflow records every normal outcome itself, so such a row would otherwise say
 * `retrying` forever. Visibility finds the candidates (their `DeliveryStatus` search attribute
 * is still pending/retrying), the database confirms them, and the latest run of the workflow id
 * must be closed (a replay may have started a new one). Returns the rows repaired.
 */
export async function repairClosedRuns(deps: { db: Db; client: Client; log: Logger }, now = Date.now()): Promise<number> {
  const since = new Date(now - LOOKBACK_MS).toISOString();
  const query = `ExecutionStatus IN ('Terminated', 'Canceled', 'Failed', 'TimedOut') AND DeliveryStatus IN ('pending', 'retrying') AND CloseTime > '${since}'`;
  const ids = new Set<string>();
  for await (const run of deps.client.workflow.list({ query, pageSize: MAX_PER_PASS })) {
    ids.add(run.workflowId);
    if (ids.size >= MAX_PER_PASS) break;
  }
  if (!ids.size) return 0;
  let repaired = 0;
  for (const row of await deliveries.listUnfinishedByWorkflowIds(deps.db, [...ids])) {
    const latest = await deps.client.workflow.getHandle(row.workflow_id).describe();
    if (latest.status.name === 'RUNNING') continue;
    const outcome = closedRunOutcome(await describeClose(deps.client, row.workflow_id, latest.runId, latest.status.name));
    if (!outcome) continue;
    if (await deliveries.finishClosedRun(deps.db, row.id, outcome.status, outcome.lastError)) {
      repaired++;
      deps.log.warn(
        { deliveryId: row.id, workflowId: row.workflow_id, status: outcome.status, reason: outcome.lastError },
        'delivery run closed from outside; recorded',
      );
    }
  }
  return repaired;
}
