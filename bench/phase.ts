/**
 * A phase is one measured batch of events (publish times, receipts, latencies); the loops
 * below drive it: closed loop (C events in flight, each waits for its deliveries), open loop
 * (arrivals on a fixed schedule) and producers (C producers publishing as fast as accepted).
 */
import { sleep, type Abort, type BenchContext } from './context';
import type { RequestInfo } from './receivers';
import { nowMs } from './stats';

/** A publish refused with back-pressure (HTTP 429/503): retried after `retryAfterMs`. */
export class Rejected extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number,
  ) {
    super(`publish answered HTTP ${status}, retry after ${retryAfterMs} ms`);
  }
}

export type Publish = (phase: Phase, seq: number) => Promise<void>;

export class Phase {
  /** Events of the phase; an open-ended phase (capacity) is cut to what was published by `end()`. */
  events: number;
  readonly publishAt: Float64Array;
  readonly remaining: Int32Array;
  readonly latencies: number[] = [];
  readonly publishDurations: number[] = [];
  delivered = 0;
  attempts = 0;
  injectedFailures = 0;
  duplicates = 0;
  rejected = 0;
  firstPublish = Infinity;
  lastAccepted = 0;
  lastReceipt = 0;
  private waiters = new Map<number, () => void>();
  private allWaiter: (() => void) | null = null;

  constructor(
    readonly id: string,
    readonly name: string,
    capacity: number,
    readonly perEvent: number,
    /** 'success': a 2xx receipt completes a delivery; 'attempt': any first request does (timers). */
    readonly completesOn: 'success' | 'attempt',
  ) {
    this.events = capacity;
    this.publishAt = new Float64Array(capacity);
    this.remaining = new Int32Array(capacity).fill(perEvent);
  }

  get expected() {
    return this.events * this.perEvent;
  }

  /** Ends an open-ended phase after `published` events. */
  end(published: number) {
    this.events = Math.min(this.events, published);
    if (this.delivered >= this.expected) this.allWaiter?.();
  }

  markPublished(seq: number, at = nowMs()) {
    this.publishAt[seq] = at;
    if (at < this.firstPublish) this.firstPublish = at;
  }

  markAccepted(seq: number, durationMs: number) {
    this.publishDurations.push(durationMs);
    this.lastAccepted = Math.max(this.lastAccepted, nowMs());
  }

  record(r: RequestInfo) {
    if (r.seq >= this.publishAt.length) return;
    this.attempts++;
    if (r.status === 500 && r.receiver.kind === 'ok') this.injectedFailures++;
    if (r.duplicate) this.duplicates++;
    const completes = this.completesOn === 'attempt' ? !r.duplicate : r.status >= 200 && r.status < 300 && !r.duplicate;
    if (!completes || this.remaining[r.seq] <= 0) return;
    this.remaining[r.seq]--;
    this.delivered++;
    this.latencies.push(r.at - this.publishAt[r.seq]);
    if (r.at > this.lastReceipt) this.lastReceipt = r.at;
    if (this.remaining[r.seq] === 0) {
      const w = this.waiters.get(r.seq);
      if (w) {
        this.waiters.delete(r.seq);
        w();
      }
    }
    if (this.delivered >= this.expected) this.allWaiter?.();
  }

  waitEvent(seq: number): Promise<void> {
    if (this.remaining[seq] <= 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(seq, resolve));
  }

  waitAll(): Promise<void> {
    if (this.delivered >= this.expected) return Promise.resolve();
    return new Promise((resolve) => (this.allWaiter = resolve));
  }

  seconds() {
    return this.delivered ? (this.lastReceipt - this.firstPublish) / 1000 : 0;
  }

  rate() {
    const s = this.seconds();
    return s > 0 ? this.delivered / s : 0;
  }
}

/** A new phase whose receipts the receivers route to it (by `data.run` = its id). */
export function newPhase(
  ctx: BenchContext,
  mode: string,
  name: string,
  events: number,
  perEvent = ctx.opts.webhooks,
  completesOn: 'success' | 'attempt' = 'success',
): Phase {
  const p = new Phase(`${ctx.runTag}-${mode}-${name}`, name, events, perEvent, completesOn);
  ctx.phases.set(p.id, p);
  return p;
}

/** The event's `data`: the phase and sequence number the receivers read, padded to the payload size. */
export function payload(payloadBytes: number, phase: Phase, seq: number) {
  const base = { run: phase.id, seq, pad: '' };
  base.pad = 'x'.repeat(Math.max(0, payloadBytes - JSON.stringify(base).length));
  return base;
}

/** One event: publish, retrying after back-pressure answers (bounded by `giveUpMs`). */
async function publishOne(abort: Abort, phase: Phase, seq: number, publish: Publish, giveUpMs: number): Promise<void> {
  const deadline = Date.now() + giveUpMs;
  for (;;) {
    const t = nowMs();
    try {
      await abort.race(publish(phase, seq));
      phase.markAccepted(seq, nowMs() - t);
      return;
    } catch (err) {
      if (!(err instanceof Rejected) || Date.now() > deadline) throw err;
      phase.rejected++;
      await abort.race(sleep(Math.min(err.retryAfterMs, Math.max(0, deadline - Date.now()))));
    }
  }
}

/** `count` slots take the next event in turn; with `waitEach` a slot waits for the event's deliveries before the next. */
async function slots(ctx: BenchContext, phase: Phase, count: number, publish: Publish, waitEach: boolean): Promise<void> {
  let next = 0;
  const slot = async () => {
    while (next < phase.events && !ctx.abort.error) {
      const seq = next++;
      phase.markPublished(seq);
      await publishOne(ctx.abort, phase, seq, publish, ctx.opts.stallTimeoutS * 1000);
      if (waitEach) await ctx.abort.race(phase.waitEvent(seq));
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, phase.events) }, slot));
}

/** C slots; each publishes an event, waits until all its deliveries arrived, then the next. */
export const closedLoop = (ctx: BenchContext, phase: Phase, publish: Publish) => () =>
  slots(ctx, phase, ctx.opts.concurrency, publish, true);

/**
 * Arrivals at fixed intervals whatever the completions; latency from the intended time (no
 * coordinated omission). `until` ends an open-ended phase early (then `phase.end()` is called).
 */
export const openLoop = (ctx: BenchContext, phase: Phase, eventsPerSec: number, publish: Publish, until?: () => boolean) => async () => {
  const interval = 1000 / eventsPerSec;
  const t0 = nowMs() + 20;
  const inFlight: Promise<void>[] = [];
  let seq = 0;
  // At least one event, so an open-ended phase always has a measurement.
  for (; seq < phase.events && !ctx.abort.error && !(seq > 0 && until?.()); seq++) {
    const target = t0 + seq * interval;
    const wait = target - nowMs();
    if (wait > 1) await sleep(wait);
    phase.markPublished(seq, target);
    inFlight.push(publishOne(ctx.abort, phase, seq, publish, ctx.opts.stallTimeoutS * 1000));
  }
  phase.end(seq);
  await ctx.abort.race(Promise.all(inFlight));
  await ctx.abort.race(phase.waitAll());
};

/** C producers, each publishing its next event as soon as the last one was accepted; then wait for all deliveries. */
export const producers = (ctx: BenchContext, phase: Phase, count: number, publish: Publish) => async () => {
  await slots(ctx, phase, count, publish, false);
  await ctx.abort.race(phase.waitAll());
};
