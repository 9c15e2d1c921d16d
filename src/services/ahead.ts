/** An entry waits this many times the recent pickup delay before it is forgotten. */
const EXPIRE_FACTOR = 3;
/** Weight of the latest pickup in the moving average. */
const PICKUP_EWMA = 0.1;

/**
 * The deliveries a dispatcher has started (or is starting) that no worker of this process has
 * picked up yet: the Dispatcher keeps at most `limit` of them, so that a burst waits in the
 * dispatcher's per-workspace turns instead of in Temporal's queues.
 *
 * Why: thousands of one workspace's starts sent at once delayed another workspace's next
 * start behind them (measured: up to 45 s during a 5,000-delivery burst, docs/benchmarks.md).
 * The task queue's fairness keys order only what has reached it; a start gets there through
 * Temporal's history service (its transfer queue is first in first out per shard), most likely
 * where they waited.
 *
 * An entry not picked up in time is forgotten (a worker of another process took it, or the task
 * waits for a worker that is busy elsewhere): the window slows a burst down, it never wedges it.
 * "In time" is `expireMs`, or EXPIRE_FACTOR times the recent pickup delay of this process's
 * worker when that is longer (at most `maxExpireMs`): an overloaded worker picks its own starts up
 * late, and forgetting them after a fixed 5 s let ~limit more starts through every 5 s (measured
 * on a slower day: a workflow-task backlog of 1,007 and another workspace's p99 at 55 s).
 * Pure and clock-free: callers pass `now`.
 */
export class AheadWindow {
  /** Delivery id → when its start began; a Map iterates in insertion order, oldest first. */
  private readonly started = new Map<string, number>();

  /** Moving average of the delay between a start and its pickup here (ms). */
  private pickupMs = 0;

  constructor(
    readonly limit: number,
    readonly expireMs: number,
    readonly maxExpireMs = expireMs * 12,
  ) {}

  /** How long an entry may wait for its pickup at present. */
  get currentExpiryMs(): number {
    return Math.min(this.maxExpireMs, Math.max(this.expireMs, Math.round(this.pickupMs * EXPIRE_FACTOR)));
  }

  get size(): number {
    return this.started.size;
  }

  /** Counts a start about to be made (before the call, so an early pickup finds it). */
  add(deliveryId: string, now: number): void {
    this.started.delete(deliveryId);
    this.started.set(deliveryId, now);
  }

  /** The start made nothing to pick up (already started, or it failed). */
  remove(deliveryId: string): boolean {
    return this.started.delete(deliveryId);
  }

  /** A worker of this process began the delivery's attempt; its delay feeds the expiry. */
  pickedUp(deliveryId: string, now: number): boolean {
    const at = this.started.get(deliveryId);
    if (at === undefined) return false;
    this.started.delete(deliveryId);
    this.pickupMs += (Math.max(0, now - at) - this.pickupMs) * PICKUP_EWMA;
    return true;
  }

  /** Whether one more start fits at `now` (forgetting the expired entries first). */
  hasRoom(now: number): boolean {
    const expiry = this.currentExpiryMs;
    for (const [id, at] of this.started) {
      if (now - at < expiry) break;
      this.started.delete(id);
    }
    return this.started.size < this.limit;
  }

  /** When the oldest entry expires, or null when there is none. */
  nextExpiry(): number | null {
    const oldest = this.started.values().next();
    return oldest.done ? null : oldest.value + this.currentExpiryMs;
  }
}

/**
 * Starts ahead of the worker by default (HOOKFLOW_DISPATCH_AHEAD; at most the worker's slots).
 * Enough to keep a 2-core worker fed (it picks a start up within tens of ms when it has a slot),
 * few enough that another workspace's next start does not queue behind a burst in the worker:
 * against one ahead per slot (64), a 5,000-delivery burst drained as fast or faster and another
 * workspace's p99 fell from 55 s to 2–4 s (docs/benchmarks.md, session 6).
 */
export const DEFAULT_DISPATCH_AHEAD = 8;

/**
 * The shortest expiry. Paced, a local worker picks a start up within about limit ÷ deliveries/s
 * (64 ÷ 45/s ≈ 1.4 s measured on 2 cores; with 8 ahead, well under a second): a start taken by
 * another process's worker holds its place no longer than this, unless the local worker is itself
 * slower to pick up (see AheadWindow).
 */
export const AHEAD_EXPIRE_MS = 5_000;
