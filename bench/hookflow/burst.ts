import { HOOKFLOW_EVENT, type HookflowRun } from './run';
import { newPhase, producers, type Phase } from '../phase';
import { measure } from '../measure';
import type { HookflowApi } from './api';
import type { BurstResult, PhaseResult } from '../results';

/** The burst's own figures from its phase: acceptance rate, rejections, time until all delivered. */
export function burstResult(r: PhaseResult, phase: Phase, producerCount: number, sustainedPerSec: number | null): BurstResult {
  const acceptSeconds = (phase.lastAccepted - phase.firstPublish) / 1000;
  const acceptedPerSec = acceptSeconds > 0 ? Math.round((phase.events / acceptSeconds) * 10) / 10 : 0;
  return {
    ...r,
    producers: producerCount,
    acceptedPerSec,
    rejected: phase.rejected,
    allDeliveredSeconds: Math.round(phase.seconds() * 100) / 100,
    acceptedOverSustained: sustainedPerSec ? Math.round((acceptedPerSec / sustainedPerSec) * 100) / 100 : null,
  };
}

/** A burst phase of `events` from the run's producers through `api` (Hookflow's HTTP API). */
export async function burst(
  run: HookflowRun,
  api: HookflowApi,
  name: string,
  events: number,
  alongside?: (phase: Phase) => Promise<void>,
): Promise<BurstResult> {
  const { ctx } = run;
  const { opts } = ctx;
  const p = newPhase(ctx, 'hookflow', name, events);
  const drive = producers(ctx, p, opts.burstProducers, api.publisher(HOOKFLOW_EVENT, opts.webhooks));
  const r = await measure(
    ctx,
    run.target,
    `hookflow ${name}`,
    p,
    alongside ? async () => void (await Promise.all([drive(), alongside(p)])) : drive,
  );
  const b = burstResult(r, p, opts.burstProducers, run.sustainedPerSec);
  ctx.say(
    `hookflow ${name}: ${events} events accepted at ${b.acceptedPerSec}/s (publish p50 ${b.publishMs?.p50} p99 ${b.publishMs?.p99} ms, ${b.rejected} rejected), all delivered after ${b.allDeliveredSeconds} s`,
  );
  return b;
}

/**
 * N events from C concurrent producers, open loop with respect to delivery: a producer publishes
 * its next event as soon as the API accepted the last one, whatever the deliveries.
 */
export function runBurst(run: HookflowRun): Promise<BurstResult> {
  run.ctx.say(`hookflow: burst of ${run.ctx.opts.burstEvents} events from ${run.ctx.opts.burstProducers} producers`);
  return burst(run, run.api, 'burst', run.ctx.opts.burstEvents);
}
