import { ApplicationFailure, Context } from '@temporalio/activity';
import { DeliveryGoneError, finishDelivery, runAttempt, type AttemptDeps, type AttemptInput, type AttemptResult } from '../src/delivery/attempt';
import type { DeliveryStatus } from '../workflows/definitions';

/**
 * Delivery activities; the logic lives in src/delivery/attempt.ts. Unless a clock is injected,
 * "now" is Temporal's schedule time of this attempt, so retry times, streak ages and secret
 * expiry follow Temporal's clock (which the time-skipping test server advances).
 */
export function createDeliveryActivities(deps: AttemptDeps) {
  return {
    async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
      try {
        // A local activity's schedule time is the worker's clock; the workflow's time is Temporal's.
        const info = Context.current().info;
        const scheduled = info.isLocal && input.scheduledAtMs !== undefined ? input.scheduledAtMs : info.currentAttemptScheduledTimestampMs;
        return await runAttempt({ now: () => scheduled, ...deps }, input);
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
