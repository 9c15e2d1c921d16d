import type { CleanupStack } from '../../src/cleanup';
import type { BenchContext } from '../context';
import { payload, type Phase, type Publish } from '../phase';
import { forkChild, type RpcChild } from '../processes';
import type { Target } from '../probes';
import type { EventMessage, InitMessage } from '../protocol';
import type { BenchResult, ModeResult } from '../results';

/** What a mode's file sets up: its processes, how it publishes, and its own extra phases. */
export interface ModeSetup {
  target: Target;
  publish: Publish;
  /** Adds mode-specific figures once the closed and open loops ran (limit: eager starts). */
  finish?: (mode: ModeResult) => void;
  /** Phases after the closed and open loops (hookflow: scale, timers, burst, fairness, database check). */
  after?: (mode: ModeResult, result: BenchResult) => Promise<void>;
}

/** Sets a mode up; what it starts is stopped by `cleanup` when the mode ends. */
export type SetupMode = (ctx: BenchContext, cleanup: CleanupStack) => Promise<ModeSetup>;

/** An event for the children that build the envelope themselves (ceiling, limit). */
export function eventMessage(ctx: BenchContext, phase: Phase, seq: number): EventMessage {
  return {
    phase: phase.id,
    seq,
    eventId: `evt_${phase.id}_${seq}`,
    createdAt: Date.now(),
    type_: 'bench.delivery',
    data: payload(ctx.opts.payloadBytes, phase, seq),
  };
}

/** The floor's or the limit's child: a Temporal worker on its own task queue of this run. */
export async function startWorkerChild(
  ctx: BenchContext,
  cleanup: CleanupStack,
  mode: 'floor' | 'limit',
  taskQueue: string,
): Promise<RpcChild> {
  const child = await forkChild(ctx.abort, mode, ctx.opts.cpuProfDir);
  cleanup.push(`${mode} process`, () => child.stop(!!ctx.abort.error));
  const init: InitMessage = { mode, address: ctx.stack.temporalAddress, namespace: 'default', taskQueue, receivers: ctx.refs };
  await ctx.abort.race(child.request('init', { init }, 180_000));
  return child;
}

/** The visibility query of a task queue's running workflows (the drain after each phase). */
export const runningOn = (taskQueue: string) => `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
