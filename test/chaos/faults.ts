/** The faults of a chaos run, injected one after another, each timed from injection to recovery. */
import type { Cluster } from './cluster';

export type FaultKind = 'kill-worker' | 'kill-api' | 'kill-temporal' | 'stop-postgres';

export interface FaultPlan {
  workerKills: number;
  apiKills: number;
  temporalKills: number;
  /** PostgreSQL stopped this long, once (0: never). */
  postgresDownMs: number;
}

export const faultCount = (plan: FaultPlan) => plan.workerKills + plan.apiKills + plan.temporalKills + (plan.postgresDownMs > 0 ? 1 : 0);

export const FULL_PLAN: FaultPlan = { workerKills: 10, apiKills: 1, temporalKills: 2, postgresDownMs: 10_000 };
export const SHORT_PLAN: FaultPlan = { workerKills: 2, apiKills: 1, temporalKills: 1, postgresDownMs: 5_000 };

export interface Fault {
  kind: FaultKind;
  target: string;
  /** ms since the run's start. */
  at: number;
  /** ms since the run's start when the faulted part answered again. */
  recoveredAt: number | null;
}

/** The order of the faults: spread so that kinds alternate and PostgreSQL is in the middle. */
export function faultOrder(plan: FaultPlan): FaultKind[] {
  const rare: FaultKind[] = [
    ...Array<FaultKind>(plan.temporalKills).fill('kill-temporal'),
    ...Array<FaultKind>(plan.apiKills).fill('kill-api'),
  ];
  // PostgreSQL's outage in the middle, the other rare faults around it.
  if (plan.postgresDownMs > 0) rare.splice(Math.floor(rare.length / 2), 0, 'stop-postgres');
  const out: FaultKind[] = [];
  const perGap = plan.workerKills / (rare.length + 1);
  let kills = 0;
  for (let i = 0; i <= rare.length; i++) {
    const upTo = Math.round(perGap * (i + 1));
    for (; kills < upTo; kills++) out.push('kill-worker');
    if (i < rare.length) out.push(rare[i]);
  }
  return out;
}

/**
 * Injects the plan's faults, `gapMs` apart (from one's recovery to the next injection), and
 * records each one's timeline. Stops early when `stopped()` says so.
 */
export async function injectFaults(
  cluster: Cluster,
  plan: FaultPlan,
  opts: { gapMs: number; t0: number; log: (m: string) => void; stopped: () => boolean; onInject?: (injected: number) => void },
): Promise<Fault[]> {
  const faults: Fault[] = [];
  let workerTurn = 0;
  for (const kind of faultOrder(plan)) {
    await new Promise((r) => setTimeout(r, opts.gapMs));
    if (opts.stopped()) break;
    const fault: Fault = { kind, target: '', at: Date.now() - opts.t0, recoveredAt: null };
    faults.push(fault);
    opts.onInject?.(faults.length);
    switch (kind) {
      case 'kill-worker': {
        const w = cluster.workers[workerTurn++ % cluster.workers.length];
        fault.target = `${w.name} (pid ${w.pid})`;
        opts.log(`fault: SIGKILL ${fault.target}`);
        await w.restart();
        break;
      }
      case 'kill-api':
        fault.target = `api (pid ${cluster.api.pid})`;
        opts.log(`fault: SIGKILL ${fault.target}`);
        await cluster.api.restart();
        break;
      case 'kill-temporal':
        fault.target = `temporal dev server`;
        opts.log('fault: SIGKILL the Temporal dev server');
        await cluster.killTemporal();
        break;
      case 'stop-postgres':
        fault.target = `postgresql for ${plan.postgresDownMs / 1000} s`;
        opts.log(`fault: stop PostgreSQL for ${plan.postgresDownMs / 1000} s`);
        await cluster.bouncePostgres(plan.postgresDownMs);
        break;
    }
    fault.recoveredAt = Date.now() - opts.t0;
    opts.log(`  recovered after ${((fault.recoveredAt - fault.at) / 1000).toFixed(1)} s`);
  }
  return faults;
}
