import { HOOKFLOW_EVENT, type HookflowRun } from './run';
import { newPhase, openLoop, type Phase } from '../phase';
import { measure } from '../measure';
import type { FairnessResult } from '../results';
import { percentiles } from '../stats';
import { burst } from './burst';

/** Upper bound of B's events during A's burst (B stops publishing there). */
const MAX_B_EVENTS = 100_000;

const summary = (p: Phase) => ({
  events: p.events,
  deliveries: p.delivered,
  latencyMs: percentiles(p.latencies),
  publishMs: percentiles(p.publishDurations),
});

/**
 * Noisy neighbour: workspace B publishes one event every I ms, first alone (its baseline), then
 * while workspace A (the bench workspace) publishes a burst of N deliveries from the burst's
 * producers; B keeps publishing until A's last delivery arrived. B's publish→receipt latency
 * during A's burst, against B alone, shows whether A's backlog delays B.
 */
export async function runFairness(run: HookflowRun): Promise<FairnessResult> {
  const { ctx } = run;
  const { opts, abort } = ctx;
  const b = await run.workspace('bench B');
  const hooksB = await b.createHooks(ctx.receivers.ok, [HOOKFLOW_EVENT], { schedule: ['1s'], jitter: 0 }, 10);
  run.checked.push({ api: b, hooks: hooksB });
  const publishB = b.publisher(HOOKFLOW_EVENT, opts.webhooks);
  const perSec = 1000 / opts.fairnessIntervalMs;

  const alone = newPhase(ctx, 'hookflow', 'fair-b-alone', Math.max(1, Math.round(opts.fairnessAloneSeconds * perSec)));
  ctx.say(`hookflow fairness: workspace B alone, ${alone.events} events one every ${opts.fairnessIntervalMs} ms`);
  await measure(ctx, run.target, 'hookflow fairness B alone', alone, openLoop(ctx, alone, perSec, publishB));

  const aEvents = Math.ceil(opts.fairnessDeliveries / opts.webhooks);
  ctx.say(
    `hookflow fairness: workspace A publishes ${aEvents * opts.webhooks} deliveries from ${opts.burstProducers} producers while B goes on`,
  );
  const during = newPhase(ctx, 'hookflow', 'fair-b-during', MAX_B_EVENTS);
  try {
    const alongside = async (a: Phase) => {
      // B's own stall guard once A is done (`measure` watches A's phase).
      let seen = -1;
      let since = Date.now();
      const guard = setInterval(() => {
        if (during.delivered !== seen || a.delivered < a.expected) {
          seen = during.delivered;
          since = Date.now();
        } else if (Date.now() - since > opts.stallTimeoutS * 1000) {
          abort.fail(
            new Error(
              `hookflow fairness: workspace B got no delivery for ${opts.stallTimeoutS} s (${during.delivered}/${during.expected})`,
            ),
          );
        }
      }, 1000);
      try {
        await openLoop(ctx, during, perSec, publishB, () => a.delivered >= a.expected)();
      } finally {
        clearInterval(guard);
      }
    };
    const burstA = await burst(run, run.api, 'fairness A burst', aEvents, alongside);
    const res: FairnessResult = {
      intervalMs: opts.fairnessIntervalMs,
      burst: burstA,
      alone: summary(alone),
      during: summary(during),
      p50Ratio: null,
      p99Ratio: null,
    };
    const r = (x?: number, y?: number) => (x !== undefined && y ? Math.round((x / y) * 100) / 100 : null);
    res.p50Ratio = r(res.during.latencyMs?.p50, res.alone.latencyMs?.p50);
    res.p99Ratio = r(res.during.latencyMs?.p99, res.alone.latencyMs?.p99);
    ctx.say(
      `hookflow fairness: B publish→receipt p50/p99 ${res.alone.latencyMs?.p50}/${res.alone.latencyMs?.p99} ms alone, ` +
        `${res.during.latencyMs?.p50}/${res.during.latencyMs?.p99} ms during A's burst (${res.during.events} events; p50 ×${res.p50Ratio})`,
    );
    return res;
  } finally {
    ctx.phases.delete(during.id);
  }
}
