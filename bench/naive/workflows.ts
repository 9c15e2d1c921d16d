import { proxyActivities } from '@temporalio/workflow';
import type { NaiveActivities } from './activities';

/**
 * The naive floor: the simplest Temporal design for webhook delivery. One workflow per
 * delivery, one regular activity that signs and POSTs; a non-2xx answer throws and Temporal's
 * activity retry policy retries it (every 1 s, like the bench webhooks' ['1s'] schedule).
 * The body travels in the workflow input (it lands in history), no database, no search attributes.
 */
const { signAndPost } = proxyActivities<NaiveActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 1, maximumAttempts: 10 },
});

export async function naiveDelivery(url: string, eventId: string, body: string): Promise<void> {
  await signAndPost(url, eventId, body);
}
