import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { AttemptInput, AttemptResult } from '../src/delivery/attempt';
import {
  cancelSignal,
  CLOSED_AS_FAILED,
  PRIORITY,
  retryNowSignal,
  SA,
  statusQuery,
  type AttemptTrigger,
  type DeliveryFailureDetails,
  type DeliveryInput,
  type DeliveryStatus,
  type DeliveryStatusResult,
} from './definitions';

type Activities = ReturnType<typeof createActivities>;

const { attemptDelivery, finishDelivery } = proxyActivities<Activities>({
  // The HTTP timeout is per webhook (max 60 s); this bounds one attempt including DB work.
  startToCloseTimeout: '90s',
  // The attempt heartbeats while its request is out: a worker that dies mid-attempt is noticed
  // after this long (not after the 90 s above) and the attempt retried on another worker.
  heartbeatTimeout: '10s',
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
/** Failed and abandoned deliveries close as Failed (before: Completed with that status). */
export const CLOSE_FAILED_PATCH = 'close-failed';

/** Marks histories that waited for a throttled endpoint's send slot (rate_limit_per_s). */
export const THROTTLE_PATCH = 'throttle';

/** A local activity's failure arrives as the ApplicationFailure itself, a regular one's as its cause. */
function isNonRetryable(err: unknown): boolean {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.nonRetryable === true;
}

/** What the Web UI shows as the workflow's current details (markdown). */
function currentDetails(s: DeliveryStatusResult, errorClass: string | null): string {
  const last = s.lastResponseCode !== null ? `HTTP ${s.lastResponseCode}` : (errorClass ?? 'none');
  const next = s.nextAttemptAt ? `next attempt at ${s.nextAttemptAt}` : 'no further attempt';
  return `**${s.status}** after ${s.attempts} attempt(s) · last response: ${last} · ${next}`;
}

/**
 * One delivery of one event to one webhook. Each attempt is an activity that signs, sends and
 * records; the retry schedule is this workflow's durable timer, so a delivery survives worker
 * and server restarts and can be steered with the `retry-now` signal and cancelled natively
 * (`temporal workflow cancel`, the API's cancel) or by the `cancel` signal. A delivery that ends
 * failed or abandoned closes as Failed (DeliveryExhausted / DeliveryAbandoned).
 */
export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryStatusResult> {
  const state: DeliveryStatusResult = { status: 'pending', attempts: 0, lastResponseCode: null, nextAttemptAt: null };
  let retryNow = false;
  let cancelled = false;
  let errorClass: string | null = null;
  setHandler(retryNowSignal, () => void (retryNow = true));
  setHandler(cancelSignal, () => void (cancelled = true));
  setHandler(statusQuery, () => state);

  const setStatus = (status: DeliveryStatus) => {
    if (status === state.status) return;
    state.status = status;
    upsertSearchAttributes([{ key: SA.DeliveryStatus, value: status }]);
  };
  const cancel = async () => {
    // Recorded even though the run is being cancelled: the API's view must say so.
    await CancellationScope.nonCancellable(() => finishDelivery({ deliveryId: input.deliveryId, status: 'cancelled' }));
    setStatus('cancelled');
    state.nextAttemptAt = null;
    setCurrentDetails(currentDetails(state, errorClass));
  };

  // A run started with a status other than pending (a replay) shows it until the first attempt.
  const initial = workflowInfo().typedSearchAttributes.get(SA.DeliveryStatus) as DeliveryStatus | undefined;
  if (initial) state.status = initial;

  let attemptNo = input.firstAttemptNo ?? 1;
  let trigger: AttemptTrigger = input.trigger ?? 'scheduled';
  let firstOfRun = true;
  let throttleSlotAt: number | null = null;
  try {
    for (;;) {
      if (cancelled) {
        await cancel();
        return state;
      }
      const args: AttemptInput = {
        deliveryId: input.deliveryId,
        attemptNo,
        trigger,
        scheduledAtMs: Date.now(),
        ...(throttleSlotAt !== null ? { throttleSlotAt } : {}),
      };
      const summary = `attempt ${attemptNo} (${trigger})`;
      // An attempt in flight is finished and recorded even if a cancel arrives meanwhile.
      const result: AttemptResult = await CancellationScope.nonCancellable(async () => {
        let r: AttemptResult | null = null;
        if (firstOfRun && patched(LOCAL_FIRST_ATTEMPT_PATCH)) {
          try {
            r = await local.attemptDelivery.executeWithOptions({ summary }, [args]);
          } catch (err) {
            if (isNonRetryable(err)) throw err;
          }
        }
        // A retry-now signal is someone waiting: its attempt goes ahead of the queue's backlog
        // (the run's fairness key and weight are inherited).
        const priority = trigger === 'manual' ? { priority: { priorityKey: PRIORITY.interactive } } : {};
        return r ?? (await attemptDelivery.executeWithOptions({ summary, ...priority }, [args]));
      });
      firstOfRun = false;
      // The endpoint's rate limit held the attempt back (nothing sent): sleep until its reserved
      // slot on a durable timer, then run the same attempt again.
      if (result.throttle && patched(THROTTLE_PATCH)) {
        throttleSlotAt = result.throttle.slotAt;
        await condition(() => cancelled, result.throttle.waitMs);
        retryNow = false;
        continue;
      }
      throttleSlotAt = null;
      // An abandoned delivery sent nothing this time: the last attempt stays the last one sent.
      if (result.status !== 'abandoned') {
        state.attempts = attemptNo;
        state.lastResponseCode = result.responseCode;
        errorClass = result.errorClass;
      }
      setStatus(result.status);
      state.nextAttemptAt = result.nextDelayMs === null ? null : new Date(Date.now() + result.nextDelayMs).toISOString();
      setCurrentDetails(currentDetails(state, errorClass));
      if (result.nextDelayMs === null) {
        const failureType = CLOSED_AS_FAILED[result.status];
        if (failureType && patched(CLOSE_FAILED_PATCH)) {
          const details: DeliveryFailureDetails = { ...state, errorClass };
          throw ApplicationFailure.create({
            type: failureType,
            message: `delivery ${input.deliveryId} ${result.status} after ${state.attempts} attempt(s), last response: ${state.lastResponseCode ?? errorClass ?? 'none'}`,
            nonRetryable: true,
            details: [details],
          });
        }
        return state;
      }
      // A native cancel request interrupts this wait (CancelledFailure), the signal ends it.
      await condition(() => retryNow || cancelled, result.nextDelayMs);
      trigger = retryNow ? 'manual' : 'scheduled';
      retryNow = false;
      attemptNo++;
    }
  } catch (err) {
    if (isCancellation(err)) await cancel();
    throw err;
  }
}
