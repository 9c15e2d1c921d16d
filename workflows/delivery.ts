import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { AttemptResult } from '../src/delivery/attempt';
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

type Activities = ReturnType<typeof createActivities>;

const { attemptDelivery, finishDelivery } = proxyActivities<Activities>({
  // The HTTP timeout is per webhook (max 60 s); this bounds one attempt including DB work.
  startToCloseTimeout: '90s',
  // Only infrastructure errors throw (HTTP failures are returned), so these retries are for a
  // database or worker outage and may go on for a long time.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * The first attempt runs as a local activity, inside the workflow task that starts the
 * workflow (eagerly, on the API's worker): no activity task, no second workflow task. A
 * delivery that succeeds first time is two Temporal writes (start, completion) instead of four.
 * A few quick local retries cover a blip; an infrastructure outage moves the attempt to a
 * regular activity with the long retries above (the attempt is idempotent by number).
 */
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '90s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '4s', maximumAttempts: 3 },
});

/** Marks histories written by this version, so deliveries started by an earlier one replay. */
export const LOCAL_FIRST_ATTEMPT_PATCH = 'local-first-attempt';

/** A local activity's failure arrives as the ApplicationFailure itself, a regular one's as its cause. */
function isNonRetryable(err: unknown): boolean {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.nonRetryable === true;
}

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
  let firstOfRun = true;
  for (;;) {
    if (cancelled) {
      await finishDelivery({ deliveryId: input.deliveryId, status: 'cancelled' });
      setStatus('cancelled');
      state.nextAttemptAt = null;
      return state;
    }
    const args = { deliveryId: input.deliveryId, attemptNo, trigger, scheduledAtMs: Date.now() };
    const summary = `attempt ${attemptNo} (${trigger})`;
    let result: AttemptResult | null = null;
    if (firstOfRun && patched(LOCAL_FIRST_ATTEMPT_PATCH)) {
      try {
        result = await local.attemptDelivery.executeWithOptions({ summary }, [args]);
      } catch (err) {
        if (isNonRetryable(err)) throw err;
      }
    }
    firstOfRun = false;
    result ??= await attemptDelivery.executeWithOptions({ summary }, [args]);
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
