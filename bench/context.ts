import type { CleanupStack } from '../src/cleanup';
import type { BenchOptions } from './options';
import type { Phase } from './phase';
import type { ReceiverRef } from './protocol';
import type { Receivers } from './receivers';
import type { Stack } from './stack';

/** The first failure of a run: every wait races against it, so one failure stops the run. */
export class Abort {
  error: Error | null = null;
  readonly promise: Promise<never>;
  private reject!: (e: Error) => void;
  constructor() {
    this.promise = new Promise<never>((_, reject) => (this.reject = reject));
    this.promise.catch(() => {});
  }
  fail(err: Error) {
    if (this.error) return;
    this.error = err;
    this.reject(err);
  }
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.promise]);
  }
  check() {
    if (this.error) throw this.error;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What every part of one run shares; built once by runBench. */
export interface BenchContext {
  opts: BenchOptions;
  abort: Abort;
  say: (message: string) => void;
  /** Distinguishes this run's task queues, workflow ids and phases in a shared Temporal. */
  runTag: string;
  cleanup: CleanupStack;
  stack: Stack;
  receivers: Receivers;
  /** The `ok` receivers, as the children need them. */
  refs: ReceiverRef[];
  /** Live phases by id: the receivers route each request to its phase. */
  phases: Map<string, Phase>;
  errors: string[];
  notes: string[];
}
