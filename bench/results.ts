import type { BenchOptions, Mode } from './options';
import type { DbStats } from './protocol';
import type { ReceiverCounters } from './receivers';
import type { Percentiles } from './stats';

export interface CpuPerDelivery {
  /** The mode's own processes (hookflow: API + worker(s)). */
  worker: number | null;
  temporal: number | null;
  postgres: number | null;
  /** This process: producer + receivers. */
  harness: number | null;
  /** worker + temporal + postgres: the cost of the delivery system itself. */
  system: number | null;
}

export interface PhaseResult {
  name: string;
  events: number;
  expected: number;
  deliveries: number;
  /** Requests the receivers answered (retries included). */
  attempts: number;
  injectedFailures: number;
  duplicates: number;
  seconds: number;
  /** deliveries ÷ (last receipt − first publish). */
  deliveriesPerSec: number;
  /**
   * deliveries ÷ (last workflow closed − first publish): the receipt comes before the workflow
   * task that completes the workflow, so a system that keeps up with receipts but not with
   * workflow tasks shows a lower rate here. Equal to deliveriesPerSec for the ceiling.
   */
  closedPerSec: number;
  /** Seconds from the last receipt until no workflow of the mode was running (null: not measured). */
  drainSeconds: number | null;
  latencyMs: Percentiles | null;
  /** Duration of the publish call itself (hookflow: POST /v1/events → 202; floor: the M starts). */
  publishMs: Percentiles | null;
  cpuMsPerDelivery: CpuPerDelivery;
  /** RSS of the mode's processes, summed (hookflow --workers N: the API and the N workers). */
  workerRssPeak: number | null;
  workerRssEnd: number | null;
  temporalRssEnd: number | null;
  /** Disk growth over the phase per delivery (null without a local data dir). */
  temporalDiskBytesPerDelivery: number | null;
  postgresDbBytesPerDelivery: number | null;
  /** PostgreSQL transactions per delivery (hookflow; autocommit statements count one each). */
  postgresTransactionsPerDelivery: number | null;
  /**
   * Workflow tasks waiting on the mode's task queue (Temporal's approximate backlog count),
   * highest seen during the phase and at its end: a growing backlog means the rate is not
   * sustainable (the closed loop only waits for the HTTP receipt, not for the workflow task
   * that follows it).
   */
  workflowBacklogPeak: number | null;
  workflowBacklogEnd: number | null;
}

export interface OpenLoopResult extends PhaseResult {
  fraction: number;
  targetDeliveriesPerSec: number;
  /** Deliveries per second offered by the arrival schedule. */
  offeredDeliveriesPerSec: number;
}

/** N events from C producers, each publishing its next event as soon as the last was accepted. */
export interface BurstResult extends PhaseResult {
  producers: number;
  /** events ÷ (last 202 − first publish). */
  acceptedPerSec: number;
  /** Publish answers 429/503 (retried after Retry-After). */
  rejected: number;
  /** From the first publish until the last delivery arrived. */
  allDeliveredSeconds: number;
  /** Accepted events/s ÷ the run's sustained deliveries/s (the closed loop's): the issue-15 target is ≥ 10. */
  acceptedOverSustained: number | null;
}

/** Workspace B's steady events, alone and during workspace A's burst. */
export interface FairnessResult {
  intervalMs: number;
  /** Workspace A's burst (its deliveries, rate, CPU). */
  burst: BurstResult;
  alone: { events: number; deliveries: number; latencyMs: Percentiles | null; publishMs: Percentiles | null };
  during: { events: number; deliveries: number; latencyMs: Percentiles | null; publishMs: Percentiles | null };
  /** during p50 ÷ alone p50 (target ≤ 3). */
  p50Ratio: number | null;
  p99Ratio: number | null;
}

export interface ModeResult {
  mode: Mode;
  main: PhaseResult;
  openLoop: OpenLoopResult | null;
  workerRssIdle: number | null;
  /** limit: how many of its workflow starts the server handed back eagerly. */
  eagerStarts?: { eager: number; total: number };
  /** Hookflow: the database's view of the bench webhooks' deliveries at the end. */
  db?: DbStats;
  dbConsistent?: boolean;
}

export interface TimersResult {
  deliveries: number;
  sleeping: number | null;
  /** Seconds from the last first attempt until all T workflows showed `retrying` (asleep). */
  settleSeconds: number | null;
  /** Workflow tasks still queued once all deliveries were asleep. */
  workflowBacklogAfter: number | null;
  firstAttemptsPerSec: number;
  workerRssBefore: number | null;
  workerRssAfter: number | null;
  workerHeapBefore: number | null;
  workerHeapAfter: number | null;
  temporalRssBefore: number | null;
  temporalRssAfter: number | null;
  temporalDiskBefore: number | null;
  temporalDiskAfter: number | null;
  postgresDiskBefore: number | null;
  postgresDiskAfter: number | null;
  postgresDbBefore: number | null;
  postgresDbAfter: number | null;
}

export interface Ratios {
  hookflowOverFloor: number | null;
  hookflowOverLimit: number | null;
  limitOverFloor: number | null;
  hookflowOverCeiling: number | null;
  floorOverCeiling: number | null;
  hookflowOverFloorClosed: number | null;
  hookflowOverLimitClosed: number | null;
  hookflowOverCeilingClosed: number | null;
}

export interface BenchResult {
  ok: boolean;
  startedAt: string;
  seconds: number;
  options: Omit<BenchOptions, 'progress' | 'signal'>;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string; platform: string; temporalCli: string | null };
  stack: {
    postgres: 'embedded' | 'external';
    temporal: 'dev-server' | 'external';
    temporalFlags: string | null;
    dataDir: string;
    /** How Hookflow ran: `api+worker` in one process, or `api + N workers`. */
    hookflowLayout: string;
    /** The hookflow processes' malloc (scripts/node.sh). */
    hookflowAllocator: string;
  };
  modes: Partial<Record<Mode, ModeResult>>;
  /** Of deliveries/s; the *Closed variants of closed/s (workflows closed, see PhaseResult). */
  ratios: Ratios;
  scale: PhaseResult[];
  timers: TimersResult | null;
  burst: BurstResult | null;
  fairness: FairnessResult | null;
  receivers: ReceiverCounters;
  verificationFailures: number;
  errors: string[];
  notes: string[];
}

const ratio = (a: number | null, b: number | null) => (a !== null && b ? Math.round((a / b) * 1000) / 1000 : null);

export function computeRatios(modes: BenchResult['modes']): Ratios {
  const rate = (m: Mode) => modes[m]?.main.deliveriesPerSec ?? null;
  const closed = (m: Mode) => modes[m]?.main.closedPerSec ?? null;
  return {
    hookflowOverFloor: ratio(rate('hookflow'), rate('floor')),
    hookflowOverLimit: ratio(rate('hookflow'), rate('limit')),
    limitOverFloor: ratio(rate('limit'), rate('floor')),
    hookflowOverCeiling: ratio(rate('hookflow'), rate('ceiling')),
    floorOverCeiling: ratio(rate('floor'), rate('ceiling')),
    hookflowOverFloorClosed: ratio(closed('hookflow'), closed('floor')),
    hookflowOverLimitClosed: ratio(closed('hookflow'), closed('limit')),
    hookflowOverCeilingClosed: ratio(closed('hookflow'), closed('ceiling')),
  };
}

export { ratio };
