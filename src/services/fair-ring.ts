/**
 * Whose turn it is among the workspaces with deliveries waiting to be started: weighted fair
 * queueing (self-clocked), so a workspace of fairness weight 3 gets three starts for every one
 * of a workspace of weight 1 while both wait, and equal weights take turns (round robin). The
 * same weights order Temporal's task queue (fairness keys), but a paced dispatcher keeps that
 * queue nearly empty, so without this the weights would not count where the waiting happens.
 *
 * Each key in the ring has a finish tag, the virtual time of its next start: joining at `v`, it
 * gets `v + 1/weight`; the smallest tag goes next (the earlier joiner on a tie) and moves `v` to
 * it. A key that keeps work joins again after its turn. A min-heap: O(log n) per start with many
 * workspaces waiting. Pure.
 */
export class FairRing {
  private readonly heap: { key: string; finish: number; seq: number }[] = [];
  private readonly keys = new Set<string>();
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
    this.heap.push({ key, finish: this.vtime + 1 / w, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  /** The key whose turn it is, out of the ring (join again to keep a place), or undefined. */
  take(): string | undefined {
    const top = this.heap[0];
    if (!top) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
    this.keys.delete(top.key);
    this.vtime = top.finish;
    return top.key;
  }

  private before(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    // Tags that differ by rounding only (1/3 + 1/3 + 1/3 against 1) are a tie.
    const d = a.finish - b.finish;
    return Math.abs(d) <= 1e-9 * Math.max(1, Math.abs(a.finish)) ? a.seq < b.seq : d < 0;
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
