export interface BatcherOptions<I> {
  /** Items per flush at most. */
  maxBatch: number;
  /** Flushes running at once. */
  maxInFlight: number;
  /** Size of an item (e.g. its bytes) and the most a flush may carry; a lone larger item still goes alone. */
  sizeOf?: (item: I) => number;
  maxSize?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(err: unknown): void;
}

/**
 * Group commit: the calls that arrive while flushes are running are gathered and handed to the
 * next flush as one batch. An idle batcher flushes on the next turn of the event loop (so that
 * calls parsed in the same turn go together): a lone call waits for nothing, and under load a
 * round trip carries as many items as arrived during the previous one.
 *
 * `flush` answers every item of its batch, in order; when it throws, every item of the batch is
 * rejected with that error.
 */
export class Batcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions<I>,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.opts.maxInFlight || !this.waiting.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.opts.maxInFlight && this.waiting.length) void this.run(this.take());
    });
  }

  /** The next batch: in arrival order, bounded in count and size. */
  private take(): Waiting<I, O>[] {
    const { maxBatch, sizeOf, maxSize = Infinity } = this.opts;
    let n = 0;
    let size = 0;
    while (n < this.waiting.length && n < maxBatch) {
      const s = sizeOf ? sizeOf(this.waiting[n].item) : 0;
      if (n > 0 && size + s > maxSize) break;
      size += s;
      n++;
    }
    return this.waiting.splice(0, n);
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    this.running++;
    try {
      const out = await this.flush(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(out[i]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
