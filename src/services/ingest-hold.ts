/**
 * Ingest first: while concurrent publishes keep arriving (a burst), the dispatcher's starts wait
 * (the bursting workspaces' only: see Dispatcher.noteIngest and burstingWorkspaces), so that
 * the burst is stored at the database's speed instead of beside its own deliveries in
 * the same process (measured: a 1,000-event burst from 50 producers accepted at ~1,400 events/s
 * with it, ~520 without, docs/benchmarks.md). The deliveries lose nothing: the same work starts
 * right after, at the worker's pace.
 *
 * A hold lasts while publishes arrive within `quietMs` of each other, at most `maxHoldMs`; starts
 * then run for at least `minRunMs` before another hold, so a steady stream of publishes slows
 * starts down but never stops them. Pure and clock-free: callers pass `now`.
 */
export interface IngestHoldOptions {
  quietMs: number;
  maxHoldMs: number;
  minRunMs: number;
}

/** Publishes this close together are one burst; starts run at least this long between holds. */
export const INGEST_QUIET_MS = 50;
export const INGEST_MIN_RUN_MS = 250;

/** The hold's state (see the top of this file). */
export class IngestHold {
  private ingestAt = -Infinity;
  /** The current hold's start (null: none), and when the last one ended. */
  private heldFrom: number | null = null;
  private endedAt = -Infinity;

  constructor(readonly opts: IngestHoldOptions) {}

  /** Publishes arrived together at `now`: a burst is being ingested. */
  note(now: number): void {
    this.ingestAt = now;
  }

  /** How long starts should still wait at `now` (0: start now); `urgent` ends any hold. */
  waitMs(now: number, urgent = false): number {
    const quietAt = this.ingestAt + this.opts.quietMs;
    if (urgent || quietAt <= now) return this.end(now);
    if (this.heldFrom === null) {
      if (now - this.endedAt < this.opts.minRunMs) return 0;
      this.heldFrom = now;
    }
    const until = Math.min(quietAt, this.heldFrom + this.opts.maxHoldMs);
    return until > now ? until - now : this.end(now);
  }

  private end(now: number): 0 {
    if (this.heldFrom !== null) {
      this.heldFrom = null;
      this.endedAt = now;
    }
    return 0;
  }
}
