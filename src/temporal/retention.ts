import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { retentionScheduleId, type RetentionInput } from '../../workflows/definitions';

/** How often the purge runs; each run deletes what crossed the cutoff since the last one. */
export const RETENTION_EVERY = '1h';

/**
 * Creates (or brings up to date) the Temporal Schedule that starts `retentionWorkflow` hourly on
 * this task queue; with 0 days it removes it. Idempotent, so every worker may call it at start.
 */
export async function ensureRetentionSchedule(
  client: Client,
  opts: { taskQueue: string; retentionDays: number },
): Promise<'created' | 'updated' | 'removed' | 'none'> {
  const scheduleId = retentionScheduleId(opts.taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  if (opts.retentionDays === 0) {
    try {
      await handle.delete();
      return 'removed';
    } catch (err) {
      // Not found, or a server without schedules (the time-skipping test server): nothing to remove.
      if (err instanceof ScheduleNotFoundError || (err as { cause?: { code?: number } }).cause?.code === 12 /* UNIMPLEMENTED */)
        return 'none';
      throw err;
    }
  }
  const args: [RetentionInput] = [{ retentionDays: opts.retentionDays }];
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'retentionWorkflow',
    workflowId: `retention:${opts.taskQueue}`,
    taskQueue: opts.taskQueue,
    args,
  };
  try {
    await client.schedule.create({ scheduleId, spec: { intervals: [{ every: RETENTION_EVERY }] }, action, policies: { overlap: 'SKIP' } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: RETENTION_EVERY }] }, action }));
  return 'updated';
}

/**
 * The namespace keeps closed workflows (deliveries' histories) as long as PostgreSQL keeps their
 * rows. Used for the embedded dev server; a cluster's namespace is set by its operator
 * (docs/operations.md).
 */
export async function setNamespaceRetention(client: Client, namespace: string, days: number): Promise<void> {
  if (days === 0) return;
  await client.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(`${days}d`) },
  });
}
