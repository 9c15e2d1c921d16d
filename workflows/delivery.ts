import { condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  cancelSignal,
  retryNowSignal,
  SA,
  statusQuery,
  type AttemptTrigger,
  type DeliveryInput,
  type DeliveryStatus,
  type DeliveryStatusResult,
} from './definitions';

const { attemptDelivery, finishDelivery } = proxyActivities<ReturnType<typeof createActivities>>({
  // The HTTP timeout is per webhook (max 60 s); this bounds one attempt including DB work.
  startToCloseTimeout: '90s',
  // Only infrastructure errors throw (HTTP failures are returned), so these retries are for a
  // database or worker outage and may go on for a long time.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * One delivery of one event to one webhook. Each attempt is an activity that signs, sends and
 * records; the retry schedule is this workflow's durable timer, so a delivery survives worker
 * and server restarts and can be steered with the `retry-now` and `cancel` signals.
 */
export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryStatusResult> {
  const state: DeliveryStatusResult = { status: 'pending', attempts: 0, lastResponseCode: null, nextAttemptAt: null };
  let retryNow = false;
  let cancelled = false;
  setHandler(retryNowSignal, () => void (retryNow = true));
  setHandler(cancelSignal, () => void (cancelled = true));
  setHandler(statusQuery, () => state);

  const setStatus = (status: DeliveryStatus) => {
    if (status === state.status) return;
    state.status = status;
    upsertSearchAttributes([{ key: SA.DeliveryStatus, value: status }]);
  };

  // A run started with a status other than pending (a replay) shows it until the first attempt.
  const initial = workflowInfo().typedSearchAttributes.get(SA.DeliveryStatus) as DeliveryStatus | undefined;
  if (initial) state.status = initial;

  let attemptNo = input.firstAttemptNo ?? 1;
  let trigger: AttemptTrigger = input.trigger ?? 'scheduled';
  for (;;) {
    if (cancelled) {
      await finishDelivery({ deliveryId: input.deliveryId, status: 'cancelled' });
      setStatus('cancelled');
      state.nextAttemptAt = null;
      return state;
    }
    const result = await attemptDelivery.executeWithOptions(
      { summary: `attempt ${attemptNo} (${trigger})` },
      [{ deliveryId: input.deliveryId, attemptNo, trigger }],
    );
    state.attempts = attemptNo;
    state.lastResponseCode = result.responseCode;
    setStatus(result.status);
    if (result.nextDelayMs === null) {
      state.nextAttemptAt = null;
      return state;
    }
    state.nextAttemptAt = new Date(Date.now() + result.nextDelayMs).toISOString();
    await condition(() => retryNow || cancelled, result.nextDelayMs);
    trigger = retryNow ? 'manual' : 'scheduled';
    retryNow = false;
    attemptNo++;
  }
}
