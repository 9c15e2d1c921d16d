/**
 * The deliveries a dispatcher has started (or is starting) that no worker of this process has
 * picked up yet: the Dispatcher keeps at most `limit` of them, so that a burst waits in the
 * dispatcher's per-workspace round robin instead of in Temporal's queues.
 *
 * Why: thousands of one workspace's starts sent at once delayed another workspace's next
 * start behind them (measured: up to 45 s during a 5,000-delivery burst, docs/benchmarks.md).
 * The task queue's fairness keys order only what has reached it; a start gets there through
 * Temporal's history service (its transfer queue is first in first out per shard), most likely
 * where they waited.
 *
 * An entry not picked up within `expireMs` is forgotten (a worker of another process took it, or
 * the task waits for a worker that is busy elsewhere): the window slows a burst down, it never
 * wedges it. Pure and clock-free: callers pass `now`.
 */
export class AheadWindow {
  /** Delivery id → when its start began; a Map iterates in insertion order, oldest first. */
  private readonly started = new Map<string, number>();

  constructor(
    readonly limit: number,
    readonly expireMs: number,
  ) {}

  get size(): number {
    return this.started.size;
  }

  /** Counts a start about to be made (before the call, so an early pickup finds it). */
  add(deliveryId: string, now: number): void {
    this.started.delete(deliveryId);
    this.started.set(deliveryId, now);
  }

  /** A worker began the delivery's attempt, or its start made nothing to pick up. */
  remove(deliveryId: string): boolean {
    return this.started.delete(deliveryId);
  }

  /** Whether one more start fits at `now` (forgetting the expired entries first). */
  hasRoom(now: number): boolean {
    for (const [id, at] of this.started) {
      if (now - at < this.expireMs) break;
      this.started.delete(id);
    }
    return this.started.size < this.limit;
  }

  /** When the oldest entry expires, or null when there is none. */
  nextExpiry(): number | null {
    const oldest = this.started.values().next();
    return oldest.done ? null : oldest.value + this.expireMs;
  }
}

/**
 * Paced, a local worker picks a start up within about limit ÷ deliveries/s (64 ÷ 45/s ≈ 1.4 s
 * measured on 2 cores): 5 s leaves room for a slower machine, and a start taken by another
 * process's worker holds its place no longer.
 */
export const AHEAD_EXPIRE_MS = 5_000;
