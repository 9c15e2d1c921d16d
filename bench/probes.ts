/**
 * What the harness observes of a mode: the workflow-task backlog of its task queue, its running
 * workflows (the drain after each phase), the RSS of its processes. bench/measure.ts uses them
 * around every phase.
 */
import { sleep, type BenchContext } from './context';
import type { Phase } from './phase';
import type { RpcChild } from './processes';
import type { ChildStats } from './protocol';
import { nowMs } from './stats';

/** The mode under measurement: its processes and what identifies its workflows. */
export interface Target {
  /** Processes whose RSS and CPU are the mode's own (hookflow --workers N: API and workers). */
  procs: RpcChild[];
  /** The process that answers `dbStats` (hookflow), else null. */
  db: RpcChild | null;
  /** Task queue for the backlog probe (null: no Temporal). */
  taskQueue: string | null;
  /** Visibility query of the mode's running workflows, for the drain (null: none). */
  runningQuery: string | null;
}

/** Temporal's approximate workflow-task backlog of a task queue (null when unknown). */
export async function workflowBacklog(ctx: BenchContext, taskQueue: string | null): Promise<number | null> {
  if (!taskQueue) return null;
  try {
    const r = await ctx.stack.connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ },
      taskQueueType: 1 /* WORKFLOW */,
      reportStats: true,
    });
    const n = r.stats?.approximateBacklogCount;
    return n === null || n === undefined ? null : Number(n);
  } catch {
    return null;
  }
}

export async function countWorkflows(ctx: BenchContext, query: string): Promise<number | null> {
  try {
    return (await ctx.stack.client.workflow.count(query)).count;
  } catch {
    return null;
  }
}

/** RSS and heap summed over the processes (null when one does not answer). */
export async function procStats(procs: RpcChild[], gc = false): Promise<ChildStats | null> {
  if (!procs.length) return null;
  try {
    const all = await Promise.all(procs.map((p) => p.request<ChildStats>('stats', { gc }, 10_000)));
    return all.reduce((a, s) => ({ rss: a.rss + s.rss, heapUsed: a.heapUsed + s.heapUsed, cpuMs: a.cpuMs + s.cpuMs }));
  } catch {
    return null;
  }
}

/** Waits until no workflow of the query runs; the time it happened, or null when not measurable. */
export async function drain(
  ctx: BenchContext,
  label: string,
  phase: Phase,
  query: string,
  onCount: (n: number | null) => void,
): Promise<number | null> {
  const deadline = Date.now() + Math.max(120, ctx.opts.stallTimeoutS * 5) * 1000;
  for (;;) {
    ctx.abort.check();
    const n = await countWorkflows(ctx, query);
    onCount(n);
    if (n === 0) return nowMs();
    if (n === null) return null;
    if (Date.now() > deadline) {
      ctx.errors.push(
        `${label}: ${n} workflows still running ${Math.round((nowMs() - phase.lastReceipt) / 1000)} s after the last receipt`,
      );
      return null;
    }
    await sleep(250);
  }
}
