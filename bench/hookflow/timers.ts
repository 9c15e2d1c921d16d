import { sleep } from '../context';
import type { HookflowRun } from './run';
import { closedLoop, newPhase } from '../phase';
import { measure } from '../measure';
import { countWorkflows, procStats, workflowBacklog } from '../probes';
import type { DbStats } from '../protocol';
import type { TimersResult } from '../results';
import { dirBytes, nowMs, sampleTrees } from '../stats';

/**
 * Deliveries sleeping on a retry timer: T first attempts to endpoints that always answer 500,
 * retry in 1 h; memory and disk measured before and after, once every delivery is asleep.
 */
export async function runTimers(run: HookflowRun): Promise<TimersResult> {
  const { ctx, target } = run;
  const { opts, stack, receivers, abort } = ctx;
  const perEvent = receivers.fail.length;
  const events = Math.ceil(opts.timers / perEvent);
  const expected = events * perEvent;
  ctx.say(`hookflow: ${expected} deliveries to endpoints that answer 500, retry in 1 h: measuring them asleep`);
  const ids = await run.api.createHooks(
    receivers.fail,
    ['bench.timer'],
    { schedule: ['1h'], jitter: 0, notify_after_consecutive_failures: 1000, disable_after_failing_for: null },
    2,
  );
  const dbStats = () => abort.race(run.apiChild.request<DbStats>('dbStats', { webhookIds: ids }));
  const before = await procStats(target.procs, true);
  const tree0 = sampleTrees({ temporal: stack.dev?.process.pid });
  const db0 = await dbStats();
  const tDisk0 = dirBytes(stack.temporalDir);
  const pgDisk0 = dirBytes(stack.pgDir);
  const p = newPhase(ctx, 'hookflow', 'timers', events, perEvent, 'attempt');
  const r = await measure(ctx, target, 'hookflow timers', p, closedLoop(ctx, p, run.api.publisher('bench.timer', perEvent)), false);
  // Wait until every delivery is recorded as retrying and its workflow shows it (the timer is
  // started in the same workflow task that upserts DeliveryStatus).
  let sleeping: number | null = null;
  let settleSeconds: number | null = null;
  const waitS = Math.max(120, opts.stallTimeoutS * 5);
  const deadline = Date.now() + waitS * 1000;
  for (;;) {
    abort.check();
    const db = await dbStats();
    sleeping = await countWorkflows(ctx, `TaskQueue = '${run.taskQueue}' AND DeliveryStatus = 'retrying' AND ExecutionStatus = 'Running'`);
    if ((db.byStatus.retrying ?? 0) >= expected && (sleeping === null || sleeping >= expected)) {
      settleSeconds = Math.round((nowMs() - p.lastReceipt) / 100) / 10;
      break;
    }
    if (Date.now() > deadline) {
      ctx.errors.push(`timers: after ${waitS} s ${JSON.stringify(db.byStatus)} in the database, ${sleeping} retrying workflows`);
      break;
    }
    await sleep(500);
  }
  // Let the last workflow tasks and allocations settle before the "after" sample.
  await sleep(2000);
  const backlogAfter = await workflowBacklog(ctx, run.taskQueue);
  const after = await procStats(target.procs, true);
  const tree1 = sampleTrees({ temporal: stack.dev?.process.pid });
  const db1 = await dbStats();
  return {
    deliveries: expected,
    sleeping,
    settleSeconds,
    workflowBacklogAfter: backlogAfter,
    firstAttemptsPerSec: r.deliveriesPerSec,
    workerRssBefore: before?.rss ?? null,
    workerRssAfter: after?.rss ?? null,
    workerHeapBefore: before?.heapUsed ?? null,
    workerHeapAfter: after?.heapUsed ?? null,
    temporalRssBefore: tree0.temporal?.rssBytes ?? null,
    temporalRssAfter: tree1.temporal?.rssBytes ?? null,
    temporalDiskBefore: tDisk0,
    temporalDiskAfter: dirBytes(stack.temporalDir),
    postgresDiskBefore: pgDisk0,
    postgresDiskAfter: dirBytes(stack.pgDir),
    postgresDbBefore: db0.databaseBytes,
    postgresDbAfter: db1.databaseBytes,
  };
}
