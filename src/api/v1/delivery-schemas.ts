import { z } from 'zod';
import type { AttemptRow, DeliveryRow, DeliverySearch } from '../../db/repositories/deliveries';
import { ListQuery, repeatable, timestamp } from '../list';
import { PATTERN_RE } from '../../domain/subscription';
import { DELIVERY_STATUSES } from '../../../workflows/definitions';

export { DELIVERY_STATUSES };

/** Filters of the delivery lists (one webhook's, or the workspace's). */
export const DeliveryListQuery = ListQuery.extend({
  status: repeatable(z.enum(DELIVERY_STATUSES))
    .optional()
    .describe('one or more: status=failed&status=retrying, or status=failed,retrying'),
  is_test: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('only test sends (true) or only real events (false)'),
  event_type: z
    .string()
    .max(200)
    .regex(PATTERN_RE, 'an event type, a prefix like task.*, or *')
    .optional()
    .describe('exact (task.created) or prefix (task.*)'),
  event_id: z
    .string()
    .regex(/^evt_[0-9a-z]{26}$/, 'not an event id')
    .optional(),
  since: timestamp.optional().describe('created at or after'),
  until: timestamp.optional().describe('created before'),
});

/** DeliveryListQuery's parsed filters as the repository takes them. */
export const toDeliverySearch = (q: z.output<typeof DeliveryListQuery>): Omit<DeliverySearch, 'limit' | 'webhookId'> => ({
  statuses: q.status,
  isTest: q.is_test,
  eventType: q.event_type,
  eventId: q.event_id,
  since: q.since,
  until: q.until,
  before: q.cursor,
});

/** The deliveries log item, as seed 002 shows it. */
export const DeliveryListItem = z.object({
  id: z.string(),
  event: z.string(),
  timestamp: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  response_code: z.number().nullable(),
  response_time_ms: z.number().nullable(),
});

/** An item of the delivery lists: seed 002's log item with the ids to follow it up. */
export const DeliverySearchItem = DeliveryListItem.extend({
  event_id: z.string(),
  webhook_id: z.string(),
  is_test: z.boolean(),
  attempts: z.number(),
});

export const toDeliverySearchItem = (d: DeliveryRow): z.infer<typeof DeliverySearchItem> => ({
  ...toDeliveryListItem(d),
  event_id: d.event_id,
  webhook_id: d.webhook_id,
  is_test: d.is_test,
  attempts: d.attempts,
});

export const AttemptOut = z.object({
  attempt_no: z.number(),
  started_at: z.string(),
  duration_ms: z.number(),
  response_code: z.number().nullable(),
  response_body: z.string().nullable(),
  error_class: z.string().nullable(),
  error_message: z.string().nullable(),
  trigger: z.string(),
  request: z
    .object({
      url: z.string(),
      method: z.string(),
      headers: z.record(z.string(), z.string()),
      body: z.string().describe('the first 4 KiB'),
    })
    .nullable()
    .describe('what was sent (signature headers included); null for attempts recorded before request records'),
});

export const DeliveryOut = DeliveryListItem.extend({
  event_id: z.string(),
  webhook_id: z.string(),
  attempts: z.number(),
  next_attempt_at: z.string().nullable(),
  is_test: z.boolean(),
  workflow_id: z.string(),
  /** The latest run, null when Temporal did not answer in time. */
  run_id: z.string().nullable(),
  /** The workflow's page in the Temporal Web UI (HOOKFLOW_TEMPORAL_UI_URL). */
  temporal_ui_url: z.string(),
  last_error: z.string().nullable(),
  attempt_log: z.array(AttemptOut),
});

export const toDeliveryListItem = (
  d: Pick<DeliveryRow, 'id' | 'event_type' | 'created_at' | 'status' | 'last_response_code' | 'last_response_time_ms'>,
): z.infer<typeof DeliveryListItem> => ({
  id: d.id,
  event: d.event_type,
  timestamp: d.created_at.toISOString(),
  status: d.status,
  response_code: d.last_response_code,
  response_time_ms: d.last_response_time_ms,
});

export const toDeliveryOut = (
  d: DeliveryRow,
  attempts: AttemptRow[],
  run: { run_id: string | null; temporal_ui_url: string },
): z.infer<typeof DeliveryOut> => ({
  ...toDeliveryListItem(d),
  event_id: d.event_id,
  webhook_id: d.webhook_id,
  attempts: d.attempts,
  next_attempt_at: d.next_attempt_at ? d.next_attempt_at.toISOString() : null,
  is_test: d.is_test,
  workflow_id: d.workflow_id,
  ...run,
  last_error: d.last_error,
  attempt_log: attempts.map((a) => ({
    attempt_no: a.attempt_no,
    started_at: a.started_at.toISOString(),
    duration_ms: a.duration_ms,
    response_code: a.response_code,
    response_body: a.response_body,
    error_class: a.error_class,
    error_message: a.error_message,
    trigger: a.trigger,
    request: a.request_url
      ? { url: a.request_url, method: a.request_method!, headers: a.request_headers ?? {}, body: a.request_body ?? '' }
      : null,
  })),
});
