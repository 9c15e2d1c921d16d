/**
 * `measure` runs a phase's drive while watching it (progress, stall, RSS, backlog) and samples
 * CPU of every process tree, disk and PostgreSQL before and after; the result is a PhaseResult.
 */
import type { BenchContext } from './context';
import type { Phase } from './phase';
import { drain, procStats, workflowBacklog, type Target } from './probes';
import type { DbStats } from './protocol';
import type { CpuPerDelivery, PhaseResult } from './results';
import { dirBytes, nowMs, percentiles, sampleTrees } from './stats';

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Runs `drive` for a phase while sampling: progress and stall detection every second, CPU of
 * every process tree before and after, disk growth, PostgreSQL transactions; then waits for the
 * phase's workflows to close (`drain`) so that their last workflow tasks are counted too.
 */
export async function measure(
  ctx: BenchContext,
  target: Target,
  label: string,
  phase: Phase,
  drive: () => Promise<void>,
  drainAfter = true,
): Promise<PhaseResult> {
  const { abort, say, stack } = ctx;
  const watch = new Watch(ctx, target, label, phase);

  try {
    const roots = () => ({ worker: target.procs.map((p) => p.pid), temporal: stack.dev?.process.pid, postgres: stack.postgresPid() });
    const cpu0 = sampleTrees(roots());
    const self0 = process.cpuUsage();
    const tDisk0 = dirBytes(stack.temporalDir);
    const pg0 = target.db ? await target.db.request<DbStats>('dbStats', { webhookIds: [] }).catch(() => null) : null;
    await abort.race(drive());
    const drainedAt =
      drainAfter && target.runningQuery ? await drain(ctx, label, phase, target.runningQuery, (n) => (watch.draining = n)) : null;
    watch.draining = null;
    const cpu1 = sampleTrees(roots());
    const self1 = process.cpuUsage(self0);
    const stats = await procStats(target.procs);
    const backlogEnd = await workflowBacklog(ctx, target.taskQueue);
    watch.noteBacklog(backlogEnd);
    if (stats) watch.rssPeak = Math.max(watch.rssPeak, stats.rss);
    const tDisk1 = dirBytes(stack.temporalDir);
    const pg1 = pg0 ? await target.db!.request<DbStats>('dbStats', { webhookIds: [] }).catch(() => null) : null;
    const n = phase.delivered || 1;
    const per = (k: 'worker' | 'temporal' | 'postgres') => (cpu0[k] && cpu1[k] ? (cpu1[k]!.cpuMs - cpu0[k]!.cpuMs) / n : null);
    const cpu: CpuPerDelivery = {
      worker: per('worker'),
      temporal: per('temporal'),
      postgres: per('postgres'),
      harness: (self1.user + self1.system) / 1000 / n,
      system: null,
    };
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
        drainedAt !== null && phase.delivered
          ? round(phase.delivered / ((Math.max(drainedAt, phase.lastReceipt) - phase.firstPublish) / 1000), 1)
          : round(phase.rate(), 1),
      drainSeconds: drainedAt !== null ? round(Math.max(0, drainedAt - phase.lastReceipt) / 1000, 2) : null,
      latencyMs: percentiles(phase.latencies),
      publishMs: percentiles(phase.publishDurations),
      cpuMsPerDelivery: cpu,
      workerRssPeak: target.procs.length ? watch.rssPeak || null : null,
      workerRssEnd: stats?.rss ?? null,
      workflowBacklogPeak: watch.backlogPeak,
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
    watch.stop();
    ctx.phases.delete(phase.id);
  }
}

/**
 * Every second while a phase runs: a progress line, the RSS of the mode's processes and the
 * workflow-task backlog (their peaks go into the result), and the stall check that fails the
 * run when nothing was delivered for --stall-timeout-s.
 */
class Watch {
  rssPeak = 0;
  backlogPeak: number | null = null;
  /** Workflows still running while `measure` drains (no stall meanwhile). */
  draining: number | null = null;
  private rssLast: number | null = null;
  private backlogLast: number | null = null;
  private probing = false;
  private lastDelivered = 0;
  private lastProgressAt = Date.now();
  private lastTick = { at: nowMs(), delivered: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: BenchContext,
    private readonly target: Target,
    private readonly label: string,
    private readonly phase: Phase,
  ) {
    this.timer = setInterval(() => this.tick(), 1000);
  }

  noteBacklog(n: number | null) {
    if (n === null) return;
    this.backlogLast = n;
    this.backlogPeak = Math.max(this.backlogPeak ?? 0, n);
  }

  stop() {
    clearInterval(this.timer);
  }

  private tick() {
    const { phase, label, ctx } = this;
    void procStats(this.target.procs).then((s) => {
      if (!s) return;
      this.rssLast = s.rss;
      this.rssPeak = Math.max(this.rssPeak, s.rss);
    });
    if (this.target.taskQueue && !this.probing) {
      this.probing = true;
      void workflowBacklog(ctx, this.target.taskQueue)
        .then((n) => this.noteBacklog(n))
        .finally(() => (this.probing = false));
    }
    const now = nowMs();
    const inst = ((phase.delivered - this.lastTick.delivered) * 1000) / Math.max(1, now - this.lastTick.at);
    this.lastTick = { at: now, delivered: phase.delivered };
    const avg =
      phase.delivered && Number.isFinite(phase.firstPublish) ? (phase.delivered * 1000) / Math.max(1, now - phase.firstPublish) : 0;
    ctx.say(
      `${label.padEnd(22)} ${String(phase.delivered).padStart(6)}/${phase.expected} ${phase.completesOn === 'attempt' ? 'first attempts' : 'deliveries'}` +
        `  ${avg.toFixed(1)}/s avg  ${inst.toFixed(1)}/s now  attempts ${phase.attempts}` +
        (this.rssLast ? `  rss ${(this.rssLast / 1048576).toFixed(0)} MB` : '') +
        (this.backlogLast !== null ? `  workflow-task backlog ${this.backlogLast}` : '') +
        (phase.rejected ? `  publishes rejected ${phase.rejected}` : '') +
        (this.draining !== null ? `  draining: ${this.draining} workflows still running` : ''),
    );
    const stallS = ctx.opts.stallTimeoutS;
    if (this.draining !== null || phase.delivered !== this.lastDelivered) {
      this.lastDelivered = phase.delivered;
      this.lastProgressAt = Date.now();
    } else if (Date.now() - this.lastProgressAt > stallS * 1000 && phase.delivered < phase.expected) {
      ctx.abort.fail(new Error(`${label}: no delivery for ${stallS} s (${phase.delivered}/${phase.expected} delivered)`));
    }
  }
}
