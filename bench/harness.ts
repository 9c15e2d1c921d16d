/**
 * The Hookflow benchmark (issue 7, docs/benchmarks.md): the same receivers, PostgreSQL and
 * Temporal dev server for
 *   ceiling   signed POSTs straight from Node to the receivers (no DB, no Temporal)
 *   floor     the simplest Temporal design (bench/naive: one workflow + one regular activity)
 *   limit     Hookflow's design at its cheapest (eager start + local-activity attempt, no DB, no API)
 *   hookflow  POST /v1/events over HTTP → verified receipt, through startHookflow
 * plus, for hookflow, a scale curve, deliveries sleeping on retry timers, a burst and a
 * fairness phase. `runBench` is the main function (bench/run.ts is the CLI,
 * test/integration/bench-smoke.test.ts runs it small).
 *
 * The parts: options.ts (command line), results.ts (what a run returns), stack.ts (PostgreSQL,
 * Temporal), processes.ts + protocol.ts + child.ts (one forked process per mode, so its RSS and
 * CPU are its own), phase.ts (a measured batch and its loops), probes.ts (backlog, drain, RSS),
 * measure.ts (sampling around a phase), modes/ (one file per mode), hookflow/ (the Hookflow-only
 * phases), report.ts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CleanupStack } from '../src/cleanup';
import { Abort, type BenchContext } from './context';
import { setupCeiling } from './modes/ceiling';
import { setupFloor } from './modes/floor';
import { hookflowAllocator, hookflowLayout, setupHookflow } from './modes/hookflow';
import { setupLimit } from './modes/limit';
import type { SetupMode } from './modes/mode';
import { DEFAULTS, publicOptions, type BenchOptions, type Mode } from './options';
import { closedLoop, newPhase, openLoop, type Phase } from './phase';
import { measure } from './measure';
import { procStats } from './probes';
import { computeRatios, type BenchResult, type ModeResult } from './results';
import { startReceivers } from './receivers';
import { startStack } from './stack';

export { MODES, type BenchOptions, type Mode } from './options';
export { HOOKFLOW_PROCESS } from './processes';
export type { BenchResult } from './results';

const SETUP: Record<Mode, SetupMode> = { ceiling: setupCeiling, floor: setupFloor, limit: setupLimit, hookflow: setupHookflow };

/** One mode: set up, warm up, closed loop, open loop at a fraction of its rate, its own phases. */
async function runMode(ctx: BenchContext, mode: Mode, result: BenchResult): Promise<void> {
  const { opts, say } = ctx;
  say(`── ${mode} ──`);
  const cleanup = new CleanupStack((name, err) => say(`${mode}: stopping ${name} failed: ${(err as Error).message}`));
  try {
    const setup = await SETUP[mode](ctx, cleanup);
    const idle = await ctx.abort.race(procStats(setup.target.procs, true));
    if (opts.warmup > 0) {
      // The ceiling's whole run takes about a second: warm its JIT and connections on as many events.
      const warm = newPhase(ctx, mode, 'warmup', mode === 'ceiling' ? Math.max(opts.warmup, opts.events) : opts.warmup);
      await measure(ctx, setup.target, `${mode} warm-up`, warm, closedLoop(ctx, warm, setup.publish));
    }
    const mainPhase = newPhase(ctx, mode, 'main', opts.events);
    const main = await measure(ctx, setup.target, `${mode} closed-loop`, mainPhase, closedLoop(ctx, mainPhase, setup.publish));
    const modeResult: ModeResult = { mode, main, openLoop: null, workerRssIdle: idle?.rss ?? null };
    result.modes[mode] = modeResult;

    if (opts.openLoopSeconds > 0 && main.deliveriesPerSec > 0) {
      const targetDeliveries = main.deliveriesPerSec * opts.openLoopFraction;
      const eventsPerSec = targetDeliveries / opts.webhooks;
      const events = Math.max(5, Math.round(eventsPerSec * opts.openLoopSeconds));
      say(
        `${mode}: open loop at ${(opts.openLoopFraction * 100).toFixed(0)} % = ${targetDeliveries.toFixed(1)} deliveries/s (${events} events, one every ${(1000 / eventsPerSec).toFixed(1)} ms)`,
      );
      const p: Phase = newPhase(ctx, mode, 'open', events);
      const r = await measure(ctx, setup.target, `${mode} open-loop`, p, openLoop(ctx, p, eventsPerSec, setup.publish));
      const round1 = (v: number) => Math.round(v * 10) / 10;
      modeResult.openLoop = {
        ...r,
        fraction: opts.openLoopFraction,
        targetDeliveriesPerSec: round1(targetDeliveries),
        offeredDeliveriesPerSec: round1(eventsPerSec * opts.webhooks),
      };
    }
    setup.finish?.(modeResult);
    await setup.after?.(modeResult, result);
  } finally {
    say(`${mode}: stopping its processes`);
    await cleanup.run();
  }
}

function emptyResult(opts: BenchOptions, startedAt: number, dataDir: string): BenchResult {
  return {
    ok: false,
    startedAt: new Date(startedAt).toISOString(),
    seconds: 0,
    options: publicOptions(opts),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      temporalCli: null,
    },
    stack: {
      postgres: opts.databaseUrl ? 'external' : 'embedded',
      temporal: opts.temporalAddress ? 'external' : 'dev-server',
      temporalFlags: null,
      dataDir,
      hookflowLayout: hookflowLayout(opts.workers),
      hookflowAllocator: hookflowAllocator(),
    },
    modes: {},
    ratios: computeRatios({}),
    scale: [],
    timers: null,
    burst: null,
    fairness: null,
    receivers: { requests: 0, delivered: 0, injectedFailures: 0, verificationFailures: 0, duplicates: 0, badBodies: 0 },
    verificationFailures: 0,
    errors: [],
    notes: [],
  };
}

export async function runBench(input: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const opts: BenchOptions = { ...DEFAULTS, ...input };
  const progress = opts.progress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const say = (m: string) => progress(`[bench] ${m}`);
  const started = Date.now();
  const abort = new Abort();
  const onSignal = () => abort.fail(new Error('interrupted'));
  opts.signal?.addEventListener('abort', onSignal);
  const cleanup = new CleanupStack((name, err) => say(`cleanup step ${name} failed: ${(err as Error).message}`));
  const dataDir = path.resolve(opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-bench-')));
  fs.mkdirSync(dataDir, { recursive: true });
  if (!opts.dataDir && !opts.keepData) cleanup.push('temp data dir', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const result = emptyResult(opts, started, dataDir);
  const phases = new Map<string, Phase>();

  try {
    const timerHooks = opts.modes.includes('hookflow') && opts.timers > 0 ? opts.webhooks : 0;
    const receivers = await startReceivers({
      ok: opts.webhooks,
      fail: timerHooks,
      failureRate: opts.receiverFailureRate,
      onRequest: (r) => phases.get(r.phase)?.record(r),
      onVerificationFailure: (m) => abort.fail(new Error(m)),
    });
    cleanup.push('receivers', () => receivers.close());
    result.receivers = receivers.counters;
    const stack = await startStack(opts, dataDir, cleanup, say);
    result.machine.temporalCli = stack.temporalCli;
    result.stack.temporalFlags = stack.temporalFlags;
    const ctx: BenchContext = {
      opts,
      abort,
      say,
      runTag: randomBytes(4).toString('hex'),
      cleanup,
      stack,
      receivers,
      refs: receivers.ok.map((r) => ({ url: r.url, secret: r.secret })),
      phases,
      errors: result.errors,
      notes: result.notes,
    };

    for (const mode of opts.modes) await runMode(ctx, mode, result);

    result.ratios = computeRatios(result.modes);
    if (opts.receiverFailureRate > 0) {
      result.notes.push(
        `receivers answered 500 to ~${(opts.receiverFailureRate * 100).toFixed(1)} % of first attempts; retries 1 s later ` +
          `(hookflow: webhook retry_policy schedule ['1s']; floor and limit: activity retry initialInterval 1 s; ceiling: setTimeout 1 s)`,
      );
    }
    result.notes.push(
      `worker RSS and CPU: the mode's own processes; hookflow ran as ${result.stack.hookflowLayout}, ${result.stack.hookflowAllocator}`,
    );
    result.notes.push('the producer and the receivers run in the harness process, not in the worker');
    result.ok = result.errors.length === 0 && receivers.counters.verificationFailures === 0 && receivers.counters.badBodies === 0;
  } catch (err) {
    result.errors.push((err as Error).message);
    result.ok = false;
  } finally {
    opts.signal?.removeEventListener('abort', onSignal);
    await cleanup.run();
    result.verificationFailures = result.receivers.verificationFailures;
    result.seconds = Math.round((Date.now() - started) / 100) / 10;
  }
  return result;
}
