// No imports: the bench's floor and limit workers use this without loading Hookflow's modules.

/**
 * Deliveries one worker runs at once by default (HOOKFLOW_WORKER_SLOTS). Each in-flight first
 * attempt holds a workflow-task slot, so this bounds the tasks a worker holds: too many, and on a
 * CPU-bound machine they wait in the worker first in first out for seconds (200 slots on a slow
 * 2-core machine: workflow tasks took up to 10 s, the workflow-task timeout, and the task
 * queue's fairness could not reorder them); too few, and slow receivers limit throughput.
 */
export const DEFAULT_WORKER_SLOTS = 64;

/** Slots and sticky cache of Hookflow's worker; the bench's floor and limit workers use the same. */
export function workerSlots(slots = DEFAULT_WORKER_SLOTS) {
  return {
    maxConcurrentActivityTaskExecutions: slots,
    // A first attempt runs as a local activity inside its workflow task, which holds the task's
    // slot while the HTTP request is out: as many slots as activity slots.
    maxConcurrentWorkflowTaskExecutions: slots,
    maxConcurrentLocalActivityExecutions: slots,
    // A delivery sleeps for minutes to hours between attempts: keeping it in the sticky cache
    // buys nothing and costs ~100 KB of RSS each (measured), so the cache only covers the
    // deliveries in flight (one per workflow-task slot). An evicted delivery replays its short
    // history when its timer fires.
    maxCachedWorkflows: slots,
  };
}
