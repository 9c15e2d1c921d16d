import { Context } from '@temporalio/activity';
import type { Db } from '../src/db/knex';
import { purgeExpired, type PurgeInput, type PurgeResult } from '../src/services/retention';

/** The retention purge; the logic lives in src/services/retention.ts. */
export function createRetentionActivities(deps: { db: Db }) {
  return {
    async purgeExpired(input: PurgeInput): Promise<PurgeResult> {
      const ctx = Context.current();
      // "Now" is the scheduled time, so a retried pass purges the same range.
      return purgeExpired(deps.db, input, ctx.info.currentAttemptScheduledTimestampMs, (progress) => ctx.heartbeat(progress));
    },
  };
}
