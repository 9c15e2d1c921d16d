import { describe, expect, inject, it } from 'vitest';
import { MODES, runBench } from '../../bench/harness';
import { renderReport } from '../../bench/report';

/**
 * The benchmark harness works end to end (issue 7): a tiny run of all three modes against the
 * test stack's PostgreSQL and Temporal dev server. No timing assertions: only that every
 * delivery arrived, once, with a valid signature, and that the report renders.
 */
describe('bench harness smoke run', () => {
  it('delivers every event in ceiling, floor and hookflow mode with verified signatures', async () => {
    const lines: string[] = [];
    const events = 20;
    const webhooks = 2;
    const result = await runBench({
      events,
      webhooks,
      concurrency: 4,
      payloadBytes: 256,
      // Some first attempts fail: retries (1 s later) are part of the smoke run.
      receiverFailureRate: 0.2,
      scale: [],
      timers: 4,
      // Open loop at the full measured rate, so that it takes a second, not ten.
      openLoopSeconds: 1,
      openLoopFraction: 1,
      warmup: 0,
      stallTimeoutS: 40,
      databaseUrl: inject('databaseUrl'),
      temporalAddress: inject('temporalAddress'),
      // The shared test database's secrets key; no reconciler passes over other files' rows.
      hookflowEnv: { HOOKFLOW_ENCRYPTION_KEY: inject('encryptionKey'), HOOKFLOW_RECONCILE_AFTER_S: '86400' },
      progress: (l) => lines.push(l),
    });
    if (!result.ok) console.error(lines.slice(-30).join('\n'));
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.verificationFailures).toBe(0);
    expect(result.receivers.badBodies).toBe(0);
    expect(result.receivers.duplicates).toBe(0);
    for (const mode of MODES) {
      const m = result.modes[mode]!;
      expect(m, mode).toBeDefined();
      expect(m.main.expected).toBe(events * webhooks);
      expect(m.main.deliveries, mode).toBe(events * webhooks);
      expect(m.main.attempts, mode).toBe(m.main.deliveries + m.main.injectedFailures);
      expect(m.main.latencyMs).not.toBeNull();
      expect(m.openLoop!.deliveries, mode).toBe(m.openLoop!.events * webhooks);
    }
    // Every workflow of the two Temporal modes closed (the harness waits for it after each phase).
    expect(result.modes.floor!.main.drainSeconds).not.toBeNull();
    expect(result.modes.hookflow!.main.drainSeconds).not.toBeNull();
    expect(result.modes.hookflow!.dbConsistent).toBe(true);
    expect(result.timers!.deliveries).toBe(4);
    expect(result.timers!.sleeping).toBe(4);
    // What the CLI prints: the table and the BENCH_JSON line.
    expect(renderReport(result)).toContain('hookflow / floor');
    expect(JSON.parse(JSON.stringify(result)).modes.floor.main.deliveries).toBe(events * webhooks);
  }, 120_000);
});
