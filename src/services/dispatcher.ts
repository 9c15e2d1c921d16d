import { AheadWindow, type AheadShare } from './ahead';
import { FairRing } from './fair-ring';
import { IngestHold, type IngestHoldOptions } from './ingest-hold';
import { markDispatchedSoon, startDelivery, type DispatchDeps, type StartSpec } from './dispatch';

export interface DispatcherOptions {
  /** Deliveries accepted but not started yet, past which publish is refused (back-pressure). */
  maxBacklog: number;
  /** Workflow starts in flight at once. */
  concurrency?: number;
  /**
   * Pacing, when this process also runs a worker: deliveries started and not yet picked up by
   * it, at most (see AheadWindow); null for no pacing (an API without a worker).
   */
  ahead?: { limit: number; expireMs: number; share?: AheadShare | null } | null;
  /**
   * Ingest first (see IngestHold): the starts of a workspace wait while a burst of its publishes
   * is being stored (other workspaces' go on), never while the backlog is past half its limit;
   * null or absent for none.
   */
  ingestHold?: IngestHoldOptions | null;
}

interface Item {
  spec: StartSpec;
  event: Pending;
  failures: number;
}

interface Pending {
  id: string;
  remaining: number;
  /** A start was given up: the event stays undispatched for the reconciler. */
  failed: boolean;
  done: Promise<void>;
  settle(err?: Error): void;
}

/**
 * A start refused this often for another reason than Temporal being unreachable is left to the
 * reconciler (a poison spec must not loop); while Temporal is unreachable, starts wait for it.
 */
const MAX_FAILURES = 5;
const PAUSE_MS = [250, 500, 1000, 2000, 5000];
// gRPC UNAVAILABLE and DEADLINE_EXCEEDED: Temporal is down or not answering.
const UNREACHABLE = new Set([14, 4]);

function unreachable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'number' && UNREACHABLE.has(e.code)) return true;
  }
  return false;
}

/**
 * Starts the workflows of accepted events after their commit, so a publisher never waits on
 * Temporal. Deliveries wait in one FIFO per workspace and the workspaces take turns by their
 * fairness weights (FairRing; equal weights: round robin; an idle one goes next), a bounded
 * number at a time, so one workspace's burst does not hold back another's first delivery here
 * either (Temporal's fairness keys do the same in the task queue). Eager start where the local
 * worker has a free slot is the SDK's: it falls back to the task queue.
 *
 * Memory only: a crash loses the queue, not the events, whose rows stay undispatched until the
 * reconciler starts them. A failed start (Temporal down) pauses the dispatcher and is retried,
 * so while Temporal is away the backlog grows until publish is refused with 503.
 */
export class Dispatcher {
  private readonly queues = new Map<string, Item[]>();
  /** Workspaces with queued work, taking turns by their fairness weights. */
  private readonly ring = new FairRing();
  private readonly events = new Map<string, Pending>();
  private queued = 0;
  private inFlight = 0;
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | null = null;
  /** Workspaces whose burst the current ingest hold is for. */
  private readonly bursting = new Set<string>();
  private holdTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly idle = new Set<() => void>();
  private readonly concurrency: number;
  /** Starts finished in the current and the previous second, for Retry-After. */
  private rate = { second: 0, current: 0, previous: 0 };
  private readonly ahead: AheadWindow | null;
  private readonly hold: IngestHold | null;

  constructor(
    private readonly deps: DispatchDeps,
    readonly opts: DispatcherOptions,
  ) {
    this.concurrency = opts.concurrency ?? 32;
    this.ahead = opts.ahead ? new AheadWindow(opts.ahead.limit, opts.ahead.expireMs, undefined, opts.ahead.share ?? null) : null;
    this.hold = opts.ingestHold ? new IngestHold(opts.ingestHold) : null;
  }

  /**
   * Publishes of these workspaces are arriving together (a burst): their starts may wait for it
   * (see `ingestHold`); other workspaces' starts go on.
   */
  noteIngest(workspaces: Iterable<string>): void {
    if (!this.hold) return;
    this.hold.note(Date.now());
    for (const ws of workspaces) this.bursting.add(ws);
  }

  /** A worker of this process began a delivery's attempt: room for the next start. */
  pickedUp(deliveryId: string): void {
    if (this.ahead?.pickedUp(deliveryId, Date.now()) && this.queued) this.pump();
  }

  /** Deliveries accepted by this process whose workflows have not been started yet. */
  get backlog(): number {
    return this.queued + this.inFlight;
  }

  /**
   * Whether `n` more deliveries fit beside `reserved` ones about to be queued; an event always
   * fits into an empty backlog.
   */
  hasRoom(n: number, reserved = 0): boolean {
    const backlog = this.backlog + reserved;
    return backlog === 0 || backlog + n <= this.opts.maxBacklog;
  }

  /** Seconds until the backlog should have room again, at the recent start rate (1–60). */
  retryAfterS(): number {
    const perS = Math.max(this.rate.previous, this.rate.current, 1);
    return Math.min(60, Math.max(1, Math.ceil((this.backlog - this.opts.maxBacklog / 2) / perS)));
  }

  /** Whether this dispatcher still has starts of the event to make (the reconciler skips it). */
  holds(eventId: string): boolean {
    return this.events.has(eventId);
  }

  /**
   * Queues the starts of one event's deliveries; resolves once all are started (or were already;
   * the event's dispatched mark follows in a batch), rejects when they are left to the reconciler.
   */
  enqueue(eventId: string, specs: StartSpec[]): Promise<void> {
    const held = this.events.get(eventId);
    if (held) return held.done;
    let settle!: (err?: Error) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
    // A publisher does not wait for its starts: their failure is logged here, never unhandled.
    done.catch(() => {});
    const event: Pending = { id: eventId, remaining: specs.length, failed: false, done, settle };
    if (specs.length === 0 || this.stopped) {
      if (this.stopped) settle(new Error('dispatcher stopped'));
      else this.finishEvent(event);
      return done;
    }
    this.events.set(eventId, event);
    for (const spec of specs) this.push({ spec, event, failures: 0 });
    this.pump();
    return done;
  }

  /** Stops starting; waits for the starts in flight. Queued deliveries stay for the reconciler. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    if (this.holdTimer) clearTimeout(this.holdTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    for (const e of this.events.values()) {
      e.failed = true;
      e.settle(new Error('dispatcher stopped'));
    }
    this.events.clear();
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  private push(item: Item, front = false): void {
    const ws = item.spec.delivery.workspace_id;
    let q = this.queues.get(ws);
    if (!q) {
      q = [];
      this.queues.set(ws, q);
      this.ring.join(ws, item.spec.fairnessWeight);
    }
    if (front) q.unshift(item);
    else q.push(item);
    this.queued++;
  }

  /** Whether the workspace has deliveries waiting for their turn here. */
  private readonly isQueued = (workspace: string): boolean => this.queues.has(workspace);

  /**
   * The next delivery: the workspaces with queued work take turns (FairRing), among those that
   * `allowed` accepts.
   */
  private next(allowed?: (workspace: string) => boolean): Item | undefined {
    const ws = this.ring.take(allowed);
    if (ws === undefined) return undefined;
    const q = this.queues.get(ws)!;
    const item = q.shift()!;
    if (q.length) this.ring.join(ws, q[0].spec.fairnessWeight);
    else this.queues.delete(ws);
    this.queued--;
    return item;
  }

  private pump(): void {
    if (this.stopped || this.pauseTimer) return;
    const now = Date.now();
    if (this.pausedUntil > now) {
      this.pauseTimer = setTimeout(() => {
        this.pauseTimer = null;
        this.pump();
      }, this.pausedUntil - now);
      this.pauseTimer.unref();
      return;
    }
    const held = this.hold && this.queued ? this.hold.waitMs(now, this.backlog * 2 > this.opts.maxBacklog) : 0;
    if (held === 0) this.bursting.clear();
    else this.pumpAfterHold(held);
    while (this.inFlight < this.concurrency && this.queued) {
      if (this.ahead && !this.ahead.hasRoom(now)) return this.pumpAtExpiry();
      // While a burst is stored, its workspaces' starts wait; the others' go on. Beside a light
      // workspace (active, nothing queued here), each keeps no more than its share of the window.
      const item = this.next((ws) => !(held > 0 && this.bursting.has(ws)) && (this.ahead?.hasRoomFor(ws, now, this.isQueued) ?? true));
      if (!item) {
        // Those left wait for a pickup, or for their starts to expire (taken elsewhere).
        if (this.ahead) this.pumpAtExpiry();
        return;
      }
      this.ahead?.add(item.spec.delivery.id, item.spec.delivery.workspace_id, now);
      this.inFlight++;
      void this.start(item);
    }
  }

  /** Starts are held for a burst: pump again when the hold ends, unless something comes first. */
  private pumpAfterHold(ms: number): void {
    if (this.holdTimer) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.pump();
    }, ms);
    this.holdTimer.unref();
  }

  /** The window is full: pump again when its oldest entry expires, unless a pickup comes first. */
  private pumpAtExpiry(): void {
    const at = this.ahead!.nextExpiry();
    if (at === null || this.expiryTimer) return;
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = null;
        this.pump();
      },
      Math.max(1, at - Date.now()),
    );
    this.expiryTimer.unref();
  }

  private async start(item: Item): Promise<void> {
    try {
      // An already started workflow makes nothing for a worker to pick up.
      if (!(await startDelivery(this.deps, item.spec))) this.ahead?.remove(item.spec.delivery.id);
      this.count();
      if (--item.event.remaining === 0 && !item.event.failed) this.finishEvent(item.event);
    } catch (err) {
      this.ahead?.remove(item.spec.delivery.id);
      const down = unreachable(err);
      item.failures++;
      if ((!down && item.failures >= MAX_FAILURES) || this.stopped) {
        if (!item.event.failed)
          this.deps.log.error({ err, eventId: item.event.id }, 'could not start a delivery; the reconciler will retry');
        item.event.failed = true;
        this.events.delete(item.event.id);
        item.event.settle(err as Error);
      } else {
        this.deps.log.warn({ err: (err as Error).message, eventId: item.event.id }, 'could not start a delivery; retrying');
        this.pausedUntil = Date.now() + PAUSE_MS[Math.min(item.failures, PAUSE_MS.length) - 1];
        if (this.events.has(item.event.id)) this.push(item, true);
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        for (const resolve of this.idle) resolve();
        this.idle.clear();
      }
      this.pump();
    }
  }

  private finishEvent(event: Pending): void {
    this.events.delete(event.id);
    markDispatchedSoon(this.deps, event.id);
    event.settle();
  }

  private count(): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.rate.second) {
      this.rate = { second, current: 0, previous: second === this.rate.second + 1 ? this.rate.current : 0 };
    }
    this.rate.current++;
  }
}
