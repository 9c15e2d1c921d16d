import { log, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PurgedRows } from '../src/db/repositories/retention';
import type { RetentionInput } from './definitions';

type Activities = ReturnType<typeof createActivities>;

const { purgeExpired } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  // A pass reports progress between batches; a stuck one is retried (deletes are idempotent).
  heartbeatTimeout: '1m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** At most this many passes per run; what remains is left to the next scheduled run. */
const MAX_PASSES = 20;

/**
 * Purges rows older than the retention (started by the `hookflow-retention` Schedule). Each
 * pass deletes in small batches for a bounded time, so no statement holds locks for long.
 */
export async function retentionWorkflow(input: RetentionInput): Promise<PurgedRows & { passes: number; ms: number }> {
  const total = { events: 0, deliveries: 0, attempts: 0, notifications: 0, idempotencyKeys: 0, passes: 0, ms: 0 };
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const r = await purgeExpired({ retentionDays: input.retentionDays });
    total.passes++;
    for (const k of ['events', 'deliveries', 'attempts', 'notifications', 'idempotencyKeys', 'ms'] as const) total[k] += r[k];
    if (!r.more) break;
  }
  log.info('retention purge done', total);
  return total;
}
