import { MODES } from './options';
import type { BenchResult, BurstResult, PhaseResult } from './results';
import { fmt, mb, table } from './stats';

const ms = (v: number | null | undefined) => fmt(v, 1);
const kb = (v: number | null | undefined) => (v === null || v === undefined ? '–' : (v / 1024).toFixed(1));
const backlog = (p: PhaseResult) => (p.workflowBacklogPeak === null ? '–' : `${p.workflowBacklogPeak}/${p.workflowBacklogEnd ?? '–'}`);
const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

/** The human-readable report: what ran, the comparison table and ratios, then each Hookflow phase. */
export function renderReport(r: BenchResult): string {
  return [...header(r), ...modesSection(r), ...scaleSection(r), ...timersSection(r), ...burstSections(r), ...footer(r)].join('\n');
}

/** What ran, on what machine and stack. */
function header(r: BenchResult): string[] {
  const o = r.options;
  const out: string[] = [];
  out.push('');
  out.push(
    `Hookflow benchmark: ${o.events} events × ${o.webhooks} webhooks = ${o.events * o.webhooks} deliveries per mode, ` +
      `concurrency ${o.concurrency} events in flight, payload ${o.payloadBytes} B, receiver failure rate ${o.receiverFailureRate}`,
  );
  out.push(
    `machine: ${r.machine.cpus} cores (${r.machine.cpuModel}), ${(r.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, node ${r.machine.node}, ${r.machine.platform}`,
  );
  out.push(
    `stack: ${r.stack.postgres} PostgreSQL, ${r.stack.temporal === 'dev-server' ? `Temporal dev server (${r.machine.temporalCli ?? 'temporal'})` : 'external Temporal'}; hookflow: ${r.stack.hookflowLayout}, ${r.stack.hookflowAllocator}`,
  );
  return out;
}

/** The comparison table of the modes, publish calls and ratios. */
function modesSection(r: BenchResult): string[] {
  const o = r.options;
  const out: string[] = [];
  out.push('');
  const modes = MODES.filter((m) => r.modes[m]);
  out.push(
    table(
      [
        'mode',
        'deliveries',
        'attempts',
        'deliv/s',
        'closed/s',
        'drain s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        '10% rate/s',
        '10% p50',
        '10% p95',
        '10% p99',
        'RSS MB idle/peak',
        'CPU ms/dlv worker',
        'temporal',
        'postgres',
        'system',
        'wf backlog peak/end',
      ],
      modes.map((m) => {
        const x = r.modes[m]!;
        const a = x.main;
        const ol = x.openLoop;
        return [
          m,
          `${a.deliveries}/${a.expected}`,
          a.attempts,
          fmt(a.deliveriesPerSec, 1),
          fmt(a.closedPerSec, 1),
          fmt(a.drainSeconds, 1),
          ms(a.latencyMs?.p50),
          ms(a.latencyMs?.p95),
          ms(a.latencyMs?.p99),
          ol ? fmt(ol.deliveriesPerSec, 1) : '–',
          ms(ol?.latencyMs?.p50),
          ms(ol?.latencyMs?.p95),
          ms(ol?.latencyMs?.p99),
          `${mb(x.workerRssIdle)}/${mb(a.workerRssPeak)}`,
          fmt(a.cpuMsPerDelivery.worker, 2),
          fmt(a.cpuMsPerDelivery.temporal, 2),
          fmt(a.cpuMsPerDelivery.postgres, 2),
          fmt(a.cpuMsPerDelivery.system, 2),
          backlog(a),
        ];
      }),
    ),
  );
  out.push(
    `publish call (ceiling: hand-off to the sender; floor: ${o.webhooks} × client.workflow.start; limit: IPC + ${o.webhooks} eager starts; hookflow: POST /v1/events → 202), p50/p99 ms: ` +
      modes
        .map((m) => {
          const x = r.modes[m]!;
          const ol = x.openLoop?.publishMs;
          return `${m} ${ms(x.main.publishMs?.p50)}/${ms(x.main.publishMs?.p99)}${ol ? ` (10 %: ${ms(ol.p50)}/${ms(ol.p99)})` : ''}`;
        })
        .join(', '),
  );
  out.push(
    'deliv/s: receipts (last receipt − first publish); closed/s: until every workflow of the phase has closed (drain s after the last receipt)',
  );
  out.push('');
  const ratio = (v: number | null) => (v === null ? '–' : `${v.toFixed(3)} (${(v * 100).toFixed(1)} %)`);
  out.push(
    `deliveries/s  hookflow / floor   = ${ratio(r.ratios.hookflowOverFloor)}      closed/s: ${ratio(r.ratios.hookflowOverFloorClosed)}`,
  );
  out.push(
    `deliveries/s  hookflow / limit   = ${ratio(r.ratios.hookflowOverLimit)}      closed/s: ${ratio(r.ratios.hookflowOverLimitClosed)}`,
  );
  out.push(`deliveries/s  limit / floor      = ${ratio(r.ratios.limitOverFloor)}`);
  out.push(
    `deliveries/s  hookflow / ceiling = ${ratio(r.ratios.hookflowOverCeiling)}      closed/s: ${ratio(r.ratios.hookflowOverCeilingClosed)}`,
  );
  out.push(`deliveries/s  floor / ceiling    = ${ratio(r.ratios.floorOverCeiling)}`);
  const eager = r.modes.limit?.eagerStarts;
  if (eager) out.push(`limit: ${eager.eager} of ${eager.total} workflow starts were eager`);
  return out;
}

/** The scale curve (hookflow). */
function scaleSection(r: BenchResult): string[] {
  const o = r.options;
  const out: string[] = [];

  if (r.scale.length) {
    out.push('');
    out.push(`scale curve (hookflow, closed loop, ${o.concurrency} events in flight; cost per delivery should stay flat)`);
    out.push(
      table(
        [
          'deliveries',
          'deliv/s',
          'closed/s',
          'p50 ms',
          'p99 ms',
          'CPU ms/dlv worker',
          'temporal',
          'postgres',
          'system',
          'Temporal disk KB/dlv',
          'PG db KB/dlv',
          'worker RSS MB',
          'wf backlog peak/end',
        ],
        r.scale.map((s: PhaseResult) => [
          s.deliveries,
          fmt(s.deliveriesPerSec, 1),
          fmt(s.closedPerSec, 1),
          ms(s.latencyMs?.p50),
          ms(s.latencyMs?.p99),
          fmt(s.cpuMsPerDelivery.worker, 2),
          fmt(s.cpuMsPerDelivery.temporal, 2),
          fmt(s.cpuMsPerDelivery.postgres, 2),
          fmt(s.cpuMsPerDelivery.system, 2),
          kb(s.temporalDiskBytesPerDelivery),
          kb(s.postgresDbBytesPerDelivery),
          mb(s.workerRssEnd),
          backlog(s),
        ]),
      ),
    );
  }
  return out;
}

/** Deliveries sleeping on retry timers (hookflow). */
function timersSection(r: BenchResult): string[] {
  const out: string[] = [];

  const t = r.timers;
  if (t) {
    const per = (a: number | null, b: number | null) => {
      const d = delta(a, b);
      return d === null
        ? '–'
        : `${(d / 1024 / t.deliveries).toFixed(2)} KB per sleeping delivery (${d >= 0 ? '+' : ''}${(d / 1048576).toFixed(1)} MB)`;
    };
    out.push('');
    out.push(
      `retry timers: ${t.deliveries} deliveries whose first attempt got HTTP 500, sleeping on a 1 h retry timer (${t.sleeping ?? '?'} workflows seen as retrying; first attempts at ${fmt(t.firstAttemptsPerSec, 1)}/s; all asleep ${fmt(t.settleSeconds, 1)} s after the last one; workflow-task backlog afterwards ${t.workflowBacklogAfter ?? '–'})`,
    );
    out.push(
      table(
        ['', 'before', 'after', 'growth'],
        [
          ['worker RSS MB (after GC)', mb(t.workerRssBefore), mb(t.workerRssAfter), per(t.workerRssBefore, t.workerRssAfter)],
          ['worker V8 heap used MB', mb(t.workerHeapBefore), mb(t.workerHeapAfter), per(t.workerHeapBefore, t.workerHeapAfter)],
          ['Temporal server RSS MB', mb(t.temporalRssBefore), mb(t.temporalRssAfter), per(t.temporalRssBefore, t.temporalRssAfter)],
          ['Temporal SQLite files MB', mb(t.temporalDiskBefore), mb(t.temporalDiskAfter), per(t.temporalDiskBefore, t.temporalDiskAfter)],
          ['PostgreSQL data dir MB', mb(t.postgresDiskBefore), mb(t.postgresDiskAfter), per(t.postgresDiskBefore, t.postgresDiskAfter)],
          ['PostgreSQL database MB', mb(t.postgresDbBefore), mb(t.postgresDbAfter), per(t.postgresDbBefore, t.postgresDbAfter)],
        ],
      ),
    );
  }
  return out;
}

/** The burst and the fairness phase (hookflow). */
function burstSections(r: BenchResult): string[] {
  const o = r.options;
  const out: string[] = [];
  if (r.burst)
    out.push('', ...burstLines(`burst: ${r.burst.events} events from ${r.burst.producers} producers over HTTP`, r.burst, o.webhooks));
  const f = r.fairness;
  if (f) {
    out.push(
      '',
      ...burstLines(
        `fairness: workspace A's burst of ${f.burst.expected} deliveries from ${f.burst.producers} producers`,
        f.burst,
        o.webhooks,
      ),
    );
    out.push(
      table(
        [
          `workspace B, one event every ${f.intervalMs} ms`,
          'events',
          'deliveries',
          'publish→receipt p50 ms',
          'p95 ms',
          'p99 ms',
          'publish p50 ms',
          'publish p99 ms',
        ],
        (
          [
            ['alone', f.alone],
            ["during A's burst", f.during],
          ] as const
        ).map(([name, x]) => [
          name,
          x.events,
          x.deliveries,
          ms(x.latencyMs?.p50),
          ms(x.latencyMs?.p95),
          ms(x.latencyMs?.p99),
          ms(x.publishMs?.p50),
          ms(x.publishMs?.p99),
        ]),
      ),
    );
    out.push(`B's p50 during A's burst ÷ alone = ${fmt(f.p50Ratio, 2)} (p99: ${fmt(f.p99Ratio, 2)})`);
  }
  return out;
}

/** Database check, receivers, notes, errors, verdict. */
function footer(r: BenchResult): string[] {
  const out: string[] = [];
  const h = r.modes.hookflow;
  if (h?.db)
    out.push(
      '',
      `hookflow database check: ${JSON.stringify(h.db.byStatus)} over ${h.db.attempts} recorded attempts (${h.dbConsistent ? 'consistent with the receivers' : 'INCONSISTENT'})`,
    );
  out.push('');
  out.push(
    `receivers: ${r.receivers.requests} requests, ${r.receivers.delivered} deliveries, ${r.receivers.injectedFailures} injected 500s, ` +
      `${r.receivers.duplicates} duplicates, ${r.verificationFailures} signature verification failures`,
  );
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const e of r.errors) out.push(`ERROR: ${e}`);
  out.push(`${r.ok ? 'OK' : 'FAILED'} in ${r.seconds} s`);
  return out;
}

function burstLines(title: string, b: BurstResult, webhooks: number): string[] {
  return [
    title,
    `  accepted ${fmt(b.acceptedPerSec, 1)} events/s (publish p50 ${ms(b.publishMs?.p50)} ms, p99 ${ms(b.publishMs?.p99)} ms, ${b.rejected} answered 429/503 and retried)`,
    `  delivered ${b.deliveries}/${b.expected} at ${fmt(b.deliveriesPerSec, 1)}/s (${fmt(b.deliveriesPerSec / webhooks, 1)} events/s), all within ${fmt(b.allDeliveredSeconds, 1)} s of the first publish; ` +
      `publish→receipt p50 ${ms(b.latencyMs?.p50)} ms, p99 ${ms(b.latencyMs?.p99)} ms`,
    `  accepted events/s ÷ the closed loop's deliveries/s = ${fmt(b.acceptedOverSustained, 2)}`,
  ];
}
