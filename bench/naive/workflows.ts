import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { NaiveActivities } from './activities';

/**
 * Two references for webhook delivery on Temporal, sharing one activity that signs and POSTs
 * (the body travels in the workflow input, so it lands in history; no database, no search
 * attributes). A non-2xx answer throws and the activity retry policy retries it every 1 s, like
 * the bench webhooks' ['1s'] schedule.
 */
const retry = { initialInterval: '1s', backoffCoefficient: 1, maximumAttempts: 10 };

const regular = proxyActivities<NaiveActivities>({ startToCloseTimeout: '30s', retry });
const local = proxyLocalActivities<NaiveActivities>({ startToCloseTimeout: '30s', retry });

/** The floor: the simplest design, one workflow and one regular activity per delivery, started plainly. */
export async function naiveDelivery(url: string, eventId: string, body: string): Promise<void> {
  await regular.signAndPost(url, eventId, body);
}

/**
 * The limit: Hookflow's design at its cheapest. Started eagerly by a client on the worker's own
 * connection, its attempt a local activity inside that first workflow task, so a first-time
 * success is one start and one completion in history.
 */
export async function limitDelivery(url: string, eventId: string, body: string): Promise<void> {
  await local.signAndPost(url, eventId, body);
}
