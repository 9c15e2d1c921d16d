// No imports: the bench's floor and limit workers use this without loading Hookflow's modules.

/** Slots and sticky cache of Hookflow's worker; the bench's floor and limit workers use the same. */
export function workerSlots(slots = 200) {
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
