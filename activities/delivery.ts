import { ApplicationFailure, Context } from '@temporalio/activity';
import { finishDelivery } from '../src/db/repositories/deliveries';
import { DeliveryGoneError, runAttempt, type AttemptDeps, type AttemptInput, type AttemptResult } from '../src/delivery/attempt';
import type { DeliveryStatus } from '../workflows/definitions';

/** Well inside the workflow's 10 s heartbeatTimeout; the SDK throttles what it sends anyway. */
const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Delivery activities; the logic lives in src/delivery/attempt.ts. Unless a clock is injected,
 * "now" is Temporal's schedule time of this attempt, so retry times, streak ages and secret
 * expiry follow Temporal's clock (which the time-skipping test server advances).
 */
export function createDeliveryActivities(deps: AttemptDeps) {
  return {
    async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
      deps.onAttemptStart?.(input.deliveryId);
      try {
        // A local activity's schedule time is the worker's clock; the workflow's time is Temporal's.
        const ctx = Context.current();
        const info = ctx.info;
        const scheduled = info.isLocal && input.scheduledAtMs !== undefined ? input.scheduledAtMs : info.currentAttemptScheduledTimestampMs;
        // A regular attempt heartbeats while its request is out, so Temporal notices a worker
        // that died mid-attempt within the workflow's heartbeatTimeout (a local one is covered
        // by its workflow task's timeout).
        const beat = info.isLocal ? null : setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
        try {
          return await runAttempt({ now: () => scheduled, ...deps }, input);
        } finally {
          if (beat) clearInterval(beat);
        }
      } catch (err) {
        // A delivery row that does not exist will not appear by retrying.
        if (err instanceof DeliveryGoneError) {
          throw ApplicationFailure.nonRetryable((err as Error).message, 'DeliveryGone');
        }
        throw err;
      }
    },
    async finishDelivery(input: { deliveryId: string; status: DeliveryStatus }): Promise<void> {
      await finishDelivery(deps.db, input.deliveryId, input.status);
    },
  };
}
