import type { ResponseOf } from '../../clients/typescript/src';

export type Webhook = ResponseOf<'/v1/webhooks/{id}', 'get'>;
export type DeliveryItem = ResponseOf<'/v1/webhooks/{id}/deliveries', 'get'>['data'][number];
export type Delivery = ResponseOf<'/v1/deliveries/{id}', 'get'>;
export type EventType = ResponseOf<'/v1/event-types', 'get'>['data'][number];

/** Delivery statuses the default log view shows (seed 000: "failures and tests"). */
export const FAILED_STATUSES = ['failed', 'retrying', 'abandoned', 'cancelled', 'terminated'];
export const TEST_EVENT = 'webhook.test';

/** "200 in 12 ms", "500 in 3 ms", "timeout", "—". */
export function outcome(d: { status: string; response_code: number | null; response_time_ms: number | null }): string {
  if (d.response_code === null) return d.status === 'pending' ? 'pending' : '—';
  return `${d.response_code}${d.response_time_ms !== null ? ` in ${d.response_time_ms} ms` : ''}`;
}
