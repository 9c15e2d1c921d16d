/**
 * What the harness observes while a phase runs: the workflow-task backlog of the mode's task
 * queue, its running workflows (the drain after each phase), the RSS and CPU of the mode's
 * processes, Temporal's and PostgreSQL's; and `measure`, which wraps a phase's drive with them.
 */
import { sleep, type BenchContext } from './context';
import type { Phase } from './phase';
import type { RpcChild } from './processes';
import type { ChildStats, DbStats } from './protocol';
import type { CpuPerDelivery, PhaseResult } from './results';
import { dirBytes, nowMs, percentiles, sampleTrees } from './stats';

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
async function drain(ctx: BenchContext, label: string, phase: Phase, query: string, onCount: (n: number | null) => void): Promise<number | null> {
  const deadline = Date.now() + Math.max(120, ctx.opts.stallTimeoutS * 5) * 1000;
  for (;;) {
    ctx.abort.check();
    const n = await countWorkflows(ctx, query);
    onCount(n);
    if (n === 0) return nowMs();
    if (n === null) return null;
    if (Date.now() > deadline) {
      ctx.errors.push(`${label}: ${n} workflows still running ${Math.round((nowMs() - phase.lastReceipt) / 1000)} s after the last receipt`);
      return null;
    }
    await sleep(250);
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Runs `drive` for a phase while sampling: progress and stall detection every second, CPU of
 * every process tree before and after, disk growth, PostgreSQL transactions; then waits for the
 * phase's workflows to close (`drain`) so that their last workflow tasks are counted too.
 */
export async function measure(ctx: BenchContext, target: Target, label: string, phase: Phase, drive: () => Promise<void>, drain_ = true): Promise<PhaseResult> {
  const { opts, abort, say, stack } = ctx;
  let rssPeak = 0;
  let rssLast: number | null = null;
  let backlogPeak: number | null = null;
  let backlogLast: number | null = null;
  let draining: number | null = null;
  const noteBacklog = (n: number | null) => {
    if (n === null) return;
    backlogLast = n;
    backlogPeak = Math.max(backlogPeak ?? 0, n);
  };
  let probing = false;
  let lastDelivered = 0;
  let lastProgressAt = Date.now();
  let lastTick = { at: nowMs(), delivered: 0 };
  const ticker = setInterval(() => {
    void procStats(target.procs).then((s) => {
      if (!s) return;
      rssLast = s.rss;
      rssPeak = Math.max(rssPeak, s.rss);
    });
    if (target.taskQueue && !probing) {
      probing = true;
      void workflowBacklog(ctx, target.taskQueue)
        .then(noteBacklog)
        .finally(() => (probing = false));
    }
    const now = nowMs();
    const inst = ((phase.delivered - lastTick.delivered) * 1000) / Math.max(1, now - lastTick.at);
    lastTick = { at: now, delivered: phase.delivered };
    const avg = phase.delivered && Number.isFinite(phase.firstPublish) ? (phase.delivered * 1000) / Math.max(1, now - phase.firstPublish) : 0;
    say(
      `${label.padEnd(22)} ${String(phase.delivered).padStart(6)}/${phase.expected} ${phase.completesOn === 'attempt' ? 'first attempts' : 'deliveries'}` +
        `  ${avg.toFixed(1)}/s avg  ${inst.toFixed(1)}/s now  attempts ${phase.attempts}` +
        (rssLast ? `  rss ${(rssLast / 1048576).toFixed(0)} MB` : '') +
        (backlogLast !== null ? `  workflow-task backlog ${backlogLast}` : '') +
        (phase.rejected ? `  publishes rejected ${phase.rejected}` : '') +
        (draining !== null ? `  draining: ${draining} workflows still running` : ''),
    );
    if (draining !== null || phase.delivered !== lastDelivered) {
      lastDelivered = phase.delivered;
      lastProgressAt = Date.now();
    } else if (Date.now() - lastProgressAt > opts.stallTimeoutS * 1000 && phase.delivered < phase.expected) {
      abort.fail(new Error(`${label}: no delivery for ${opts.stallTimeoutS} s (${phase.delivered}/${phase.expected} delivered)`));
    }
  }, 1000);

  try {
    const roots = () => ({ worker: target.procs.map((p) => p.pid), temporal: stack.dev?.process.pid, postgres: stack.postgresPid() });
    const cpu0 = sampleTrees(roots());
    const self0 = process.cpuUsage();
    const tDisk0 = dirBytes(stack.temporalDir);
    const pg0 = target.db ? await target.db.request<DbStats>('dbStats', { webhookIds: [] }).catch(() => null) : null;
    await abort.race(drive());
    const drainedAt = drain_ && target.runningQuery ? await drain(ctx, label, phase, target.runningQuery, (n) => (draining = n)) : null;
    draining = null;
    const cpu1 = sampleTrees(roots());
    const self1 = process.cpuUsage(self0);
    const stats = await procStats(target.procs);
    const backlogEnd = await workflowBacklog(ctx, target.taskQueue);
    noteBacklog(backlogEnd);
    if (stats) rssPeak = Math.max(rssPeak, stats.rss);
    const tDisk1 = dirBytes(stack.temporalDir);
    const pg1 = pg0 ? await target.db!.request<DbStats>('dbStats', { webhookIds: [] }).catch(() => null) : null;
    const n = phase.delivered || 1;
    const per = (k: 'worker' | 'temporal' | 'postgres') => (cpu0[k] && cpu1[k] ? (cpu1[k]!.cpuMs - cpu0[k]!.cpuMs) / n : null);
    const cpu: CpuPerDelivery = { worker: per('worker'), temporal: per('temporal'), postgres: per('postgres'), harness: (self1.user + self1.system) / 1000 / n, system: null };
    const parts = [cpu.worker, cpu.temporal, cpu.postgres].filter((v): v is number => v !== null);
    cpu.system = parts.length ? parts.reduce((a, b) => a + b, 0) : null;
    const r: PhaseResult = {
      name: label,
      events: phase.events,
      expected: phase.expected,
      deliveries: phase.delivered,
      attempts: phase.attempts,
      injectedFailures: phase.injectedFailures,
      duplicates: phase.duplicates,
      seconds: round(phase.seconds(), 2),
      deliveriesPerSec: round(phase.rate(), 1),
      closedPerSec:
        drainedAt !== null && phase.delivered ? round(phase.delivered / ((Math.max(drainedAt, phase.lastReceipt) - phase.firstPublish) / 1000), 1) : round(phase.rate(), 1),
      drainSeconds: drainedAt !== null ? round(Math.max(0, drainedAt - phase.lastReceipt) / 1000, 2) : null,
      latencyMs: percentiles(phase.latencies),
      publishMs: percentiles(phase.publishDurations),
      cpuMsPerDelivery: cpu,
      workerRssPeak: target.procs.length ? rssPeak || null : null,
      workerRssEnd: stats?.rss ?? null,
      workflowBacklogPeak: backlogPeak,
      workflowBacklogEnd: backlogEnd,
      temporalRssEnd: cpu1.temporal?.rssBytes ?? null,
      temporalDiskBytesPerDelivery: tDisk0 !== null && tDisk1 !== null ? Math.round((tDisk1 - tDisk0) / n) : null,
      postgresDbBytesPerDelivery: pg0 && pg1 ? Math.round((pg1.databaseBytes - pg0.databaseBytes) / n) : null,
      // The two dbStats queries themselves are one transaction each.
      postgresTransactionsPerDelivery: pg0 && pg1 ? round((pg1.transactions - pg0.transactions - 1) / n, 1) : null,
    };
    say(
      `${label}: ${r.deliveries}/${r.expected} in ${r.seconds} s = ${r.deliveriesPerSec}/s, latency p50 ${r.latencyMs?.p50} p95 ${r.latencyMs?.p95} p99 ${r.latencyMs?.p99} ms` +
        (r.drainSeconds !== null ? `; all workflows closed ${r.drainSeconds} s after the last receipt (${r.closedPerSec}/s)` : '') +
        (r.workflowBacklogPeak !== null ? `, workflow-task backlog peak ${r.workflowBacklogPeak} end ${r.workflowBacklogEnd}` : ''),
    );
    return r;
  } finally {
    clearInterval(ticker);
    ctx.phases.delete(phase.id);
  }
}
