import type { CleanupStack } from '../../src/cleanup';
import type { BenchContext } from '../context';
import { payload, type Phase, type Publish } from '../phase';
import type { Target } from '../probes';
import type { EventMessage } from '../protocol';
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
  return { phase: phase.id, seq, eventId: `evt_${phase.id}_${seq}`, createdAt: Date.now(), type_: 'bench.delivery', data: payload(ctx.opts.payloadBytes, phase, seq) };
}
