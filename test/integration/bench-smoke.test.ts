import { describe, expect, inject, it, onTestFailed } from 'vitest';
import { MODES, runBench, type BenchOptions } from '../../bench/harness';
import { renderReport } from '../../bench/report';

/**
 * The benchmark harness works end to end (issues 7 and 15): tiny runs against the test stack's
 * PostgreSQL and Temporal dev server. No timing assertions: only that every delivery arrived,
 * once, with a valid signature, that the database agrees, and that the report renders.
 */
const stack = (): Partial<BenchOptions> => ({
  webhooks: 2,
  payloadBytes: 256,
  stallTimeoutS: 40,
  databaseUrl: inject('databaseUrl'),
  temporalAddress: inject('temporalAddress'),
  // The shared test database's secrets key; no reconciler passes over other files' rows.
  hookflowEnv: { HOOKFLOW_ENCRYPTION_KEY: inject('encryptionKey'), HOOKFLOW_RECONCILE_AFTER_S: '86400' },
});

/** The harness's progress lines, shown when the test fails (a timeout included). */
function progressLog(): string[] {
  const lines: string[] = [];
  onTestFailed(() => console.error(lines.slice(-40).join('\n')));
  return lines;
}

function expectClean(result: Awaited<ReturnType<typeof runBench>>) {
  expect(result.errors).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.verificationFailures).toBe(0);
  expect(result.receivers.badBodies).toBe(0);
  expect(result.receivers.duplicates).toBe(0);
}

describe('bench harness smoke run', () => {
  it('delivers every event in ceiling, floor, limit and hookflow mode with verified signatures', async () => {
    const lines = progressLog();
    const events = 20;
    const webhooks = 2;
    const result = await runBench({
      ...stack(),
      events,
      concurrency: 4,
      // Some first attempts fail: retries (1 s later) are part of the smoke run.
      receiverFailureRate: 0.2,
      scale: [],
      timers: 4,
      // Open loop at the full measured rate, so that it takes a second, not ten.
      openLoopSeconds: 1,
      openLoopFraction: 1,
      warmup: 0,
      burstEvents: 0,
      fairnessDeliveries: 0,
      progress: (l) => lines.push(`${new Date().toISOString().slice(11, 23)} ${l}`),
    });
    expectClean(result);
    for (const mode of MODES) {
      const m = result.modes[mode]!;
      expect(m, mode).toBeDefined();
      expect(m.main.expected).toBe(events * webhooks);
      expect(m.main.deliveries, mode).toBe(events * webhooks);
      expect(m.main.attempts, mode).toBe(m.main.deliveries + m.main.injectedFailures);
      expect(m.main.latencyMs).not.toBeNull();
      expect(m.openLoop!.deliveries, mode).toBe(m.openLoop!.events * webhooks);
    }
    // Every workflow of the Temporal modes closed (the harness waits for it after each phase).
    for (const mode of ['floor', 'limit', 'hookflow'] as const) expect(result.modes[mode]!.main.drainSeconds, mode).not.toBeNull();
    // The limit's starts went to its own worker eagerly (that is what it measures).
    const eager = result.modes.limit!.eagerStarts!;
    expect(eager.total).toBe((events + result.modes.limit!.openLoop!.events) * webhooks);
    expect(eager.eager).toBe(eager.total);
    expect(result.modes.hookflow!.dbConsistent).toBe(true);
    expect(result.timers!.deliveries).toBe(4);
    expect(result.timers!.sleeping).toBe(4);
    // What the CLI prints: the table and the BENCH_JSON line.
    expect(renderReport(result)).toContain('hookflow / limit');
    expect(JSON.parse(JSON.stringify(result)).modes.floor.main.deliveries).toBe(events * webhooks);
  }, 300_000);

  it('runs the burst and fairness phases against one API process and two worker processes', async () => {
    const lines = progressLog();
    const result = await runBench({
      ...stack(),
      modes: ['hookflow'],
      workers: 2,
      events: 6,
      concurrency: 3,
      warmup: 0,
      scale: [],
      timers: 0,
      openLoopSeconds: 0,
      burstEvents: 20,
      burstProducers: 5,
      fairnessDeliveries: 20,
      // B's steady load stays small beside A's: on a loaded machine without eager start (separate
      // worker processes) a faster B would queue ahead of A's last deliveries.
      fairnessIntervalMs: 400,
      fairnessAloneSeconds: 1.2,
      progress: (l) => lines.push(`${new Date().toISOString().slice(11, 23)} ${l}`),
    });
    expectClean(result);
    expect(result.stack.hookflowLayout).toBe('1 api process + 2 worker processes');
    expect(result.stack.hookflowAllocator).toMatch(/^(jemalloc \(.+\)|glibc malloc)$/);
    const burst = result.burst!;
    expect(burst.deliveries).toBe(20 * 2);
    expect(burst.acceptedPerSec).toBeGreaterThan(0);
    expect(burst.acceptedOverSustained).not.toBeNull();
    expect(burst.publishMs).not.toBeNull();
    const f = result.fairness!;
    expect(f.burst.deliveries).toBe(20);
    expect(f.alone.events).toBe(3);
    expect(f.alone.deliveries).toBe(3 * 2);
    expect(f.during.events).toBeGreaterThan(0);
    expect(f.during.deliveries).toBe(f.during.events * 2);
    // Workspace A's and B's deliveries are all `success` in the database, none missing.
    expect(result.modes.hookflow!.dbConsistent).toBe(true);
    expect(result.modes.hookflow!.db!.byStatus.success).toBe((6 + 20 + 10 + 3 + f.during.events) * 2);
    const report = renderReport(result);
    expect(report).toContain('burst: 20 events from 5 producers');
    expect(report).toContain("during A's burst");
  }, 300_000);
});
