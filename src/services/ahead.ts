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
  /** Delivery id → when its start began and whose it is; a Map iterates in insertion order, oldest first. */
  private readonly started = new Map<string, { at: number; workspace: string }>();
  /** Workspace → its entries. */
  private readonly perWorkspace = new Map<string, number>();
  /** Workspace → its latest start, while within `share.activeMs` (pruned on each start). */
  private readonly lastStart = new Map<string, number>();

  /** Moving average of the delay between a start and its pickup here (ms). */
  private pickupMs = 0;

  constructor(
    readonly limit: number,
    readonly expireMs: number,
    readonly maxExpireMs = expireMs * 12,
    /**
     * While another workspace with nothing backlogged has started something within `activeMs`
     * (or still has a start in the window), one workspace keeps at most `limit` starts here;
     * otherwise it may fill the whole window. Null: no per-workspace share. See hasRoomFor.
     */
    readonly share: AheadShare | null = null,
  ) {}

  /** How long an entry may wait for its pickup at present. */
  get currentExpiryMs(): number {
    return Math.min(this.maxExpireMs, Math.max(this.expireMs, Math.round(this.pickupMs * EXPIRE_FACTOR)));
  }

  get size(): number {
    return this.started.size;
  }

  /** Workspaces remembered as lately active (their latest start within `share.activeMs`, pruned on each start). */
  get rememberedActive(): number {
    return this.lastStart.size;
  }

  /** Starts of `workspace` in the window. */
  countOf(workspace: string): number {
    return this.perWorkspace.get(workspace) ?? 0;
  }

  /** Counts a start about to be made (before the call, so an early pickup finds it). */
  add(deliveryId: string, workspace: string, now: number): void {
    this.remove(deliveryId);
    this.started.set(deliveryId, { at: now, workspace });
    this.perWorkspace.set(workspace, this.countOf(workspace) + 1);
    if (this.share) {
      this.lastStart.delete(workspace);
      this.lastStart.set(workspace, now);
      this.forgetInactive(now);
    }
  }

  /** The start made nothing to pick up (already started, or it failed). */
  remove(deliveryId: string): boolean {
    const entry = this.started.get(deliveryId);
    if (!entry) return false;
    this.forget(deliveryId, entry.workspace);
    return true;
  }

  /** A worker of this process began the delivery's attempt; its delay feeds the expiry. */
  pickedUp(deliveryId: string, now: number): boolean {
    const entry = this.started.get(deliveryId);
    if (entry === undefined) return false;
    this.forget(deliveryId, entry.workspace);
    this.pickupMs += (Math.max(0, now - entry.at) - this.pickupMs) * PICKUP_EWMA;
    return true;
  }

  /** Whether one more start fits at `now` (forgetting the expired entries first). */
  hasRoom(now: number): boolean {
    const expiry = this.currentExpiryMs;
    for (const [id, { at, workspace }] of this.started) {
      if (now - at < expiry) break;
      this.forget(id, workspace);
    }
    return this.started.size < this.limit;
  }

  /**
   * Whether one more start of `workspace` fits at `now`: room in the window and, while another
   * workspace is active that has nothing `backlogged` (waiting for its turn in the dispatcher: a
   * light publisher, whose next start should not queue behind a burst in the worker), fewer than
   * its share of it. While every active workspace has a backlog, the dispatcher's weighted turns
   * share the whole window: capping each to the same share there would undo the weights.
   */
  hasRoomFor(workspace: string, now: number, backlogged: (workspace: string) => boolean = () => false): boolean {
    if (!this.hasRoom(now)) return false;
    if (!this.share || this.countOf(workspace) < this.share.limit) return true;
    return !this.othersActive(workspace, now, backlogged);
  }

  /** When the oldest entry expires, or null when there is none. */
  nextExpiry(): number | null {
    const oldest = this.started.values().next();
    return oldest.done ? null : oldest.value.at + this.currentExpiryMs;
  }

  /**
   * Whether a workspace other than `workspace` that is not `backlogged` started something lately
   * or still waits here.
   */
  private othersActive(workspace: string, now: number, backlogged: (workspace: string) => boolean): boolean {
    this.forgetInactive(now);
    for (const active of [this.lastStart, this.perWorkspace]) {
      for (const ws of active.keys()) if (ws !== workspace && !backlogged(ws)) return true;
    }
    return false;
  }

  /** Drops the latest starts older than `share.activeMs` (so the map holds the active ones only). */
  private forgetInactive(now: number): void {
    for (const [ws, at] of this.lastStart) {
      // Oldest first: the rest are later.
      if (now - at < this.share!.activeMs) break;
      this.lastStart.delete(ws);
    }
  }

  private forget(deliveryId: string, workspace: string): void {
    this.started.delete(deliveryId);
    const n = this.countOf(workspace) - 1;
    if (n > 0) this.perWorkspace.set(workspace, n);
    else this.perWorkspace.delete(workspace);
  }
}

export interface AheadShare {
  /** Starts one workspace may keep in the window beside an active workspace with no backlog. */
  limit: number;
  /** How long after its latest start a workspace counts as active. */
  activeMs: number;
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

/**
 * One workspace's share of the window beside an active workspace with no backlog
 * (HOOKFLOW_DISPATCH_AHEAD_SHARED).
 */
export const DEFAULT_DISPATCH_AHEAD_SHARED = 2;

/** A workspace counts as active this long after its latest start. */
export const AHEAD_ACTIVE_MS = 2_000;
