interface HeapEntry {
  key: string;
  /** Virtual time of this turn (its start tag) and of the key's next (its finish tag). */
  start: number;
  finish: number;
  seq: number;
}

/**
 * Whose turn it is among the workspaces with deliveries waiting to be started: start-time fair
 * queueing (Goyal, Vin and Cheng, 1996), so a workspace of fairness weight 3 gets three starts
 * for every one of a workspace of weight 1 while both wait, and equal weights take turns (round
 * robin). The same weights order Temporal's task queue (fairness keys), but a paced dispatcher
 * keeps that queue nearly empty, so without this the weights would not count where the waiting
 * happens.
 *
 * A key's turn has a start tag in virtual time: its previous turn's finish (start + 1/weight)
 * while it keeps work, or the current virtual time `v` when it joins after being idle; the
 * smallest start goes next (the earlier joiner on a tie) and moves `v` to it. So a quiet
 * workspace's first delivery goes ahead of a busy one's next (which starts at `v + 1/weight`),
 * while a workspace that keeps work gets its weight's share and no more: going idle forfeits
 * turns, it does not save them up. A min-heap: O(log n) per start with many workspaces waiting.
 * Pure.
 */
export class FairRing {
  private readonly heap: HeapEntry[] = [];
  private readonly keys = new Set<string>();
  /** Finish tags of the keys' last turns, while they are ahead of `vtime` (pruned lazily). */
  private readonly lastFinish = new Map<string, number>();
  private vtime = 0;
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** A key with work waiting joins the ring (a key already in it keeps its turn). */
  join(key: string, weight = 1): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    const w = Number.isFinite(weight) && weight > 0 ? weight : 1;
    const start = Math.max(this.vtime, this.lastFinish.get(key) ?? this.vtime);
    this.push({ key, start, finish: start + 1 / w, seq: this.seq++ });
  }

  /**
   * The key whose turn it is, out of the ring (join again to keep a place), or undefined. With
   * `allowed`, the first in turn that it accepts: the keys passed over keep their turns.
   */
  take(allowed?: (key: string) => boolean): string | undefined {
    const skipped: HeapEntry[] = [];
    let top: HeapEntry | undefined;
    while ((top = this.pop()) && allowed && !allowed(top.key)) skipped.push(top);
    for (const e of skipped) this.push(e);
    if (!top) return undefined;
    this.keys.delete(top.key);
    this.vtime = top.start;
    this.lastFinish.set(top.key, top.finish);
    if (this.lastFinish.size > 2 * this.heap.length + 64) this.prune();
    return top.key;
  }

  /** Forgets finish tags no later than `vtime`: such a key joins at `vtime` anyway. */
  private prune(): void {
    for (const [key, finish] of this.lastFinish) if (finish <= this.vtime) this.lastFinish.delete(key);
  }

  private pop(): HeapEntry | undefined {
    const top = this.heap[0];
    if (!top) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private push(e: HeapEntry): void {
    this.heap.push(e);
    this.up(this.heap.length - 1);
  }

  private before(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    // Tags that differ by rounding only (1/3 + 1/3 + 1/3 against 1) are a tie.
    const d = a.start - b.start;
    return Math.abs(d) <= 1e-9 * Math.max(1, Math.abs(a.start)) ? a.seq < b.seq : d < 0;
  }

  private swap(i: number, j: number): void {
    [this.heap[i], this.heap[j]] = [this.heap[j], this.heap[i]];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.before(l, m)) m = l;
      if (r < this.heap.length && this.before(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
