import { z } from 'zod';
import { parseDuration, formatDuration } from '../../../domain/duration';
import { PROFILE_NAMES } from '../../../domain/profiles';
import { MAX_ATTEMPTS, MAX_DELAY_MS } from '../../../domain/retry-policy';
import { PATTERN_RE } from '../../../domain/subscription';
import { validateFilter } from '../../../domain/content-filter';
import type { WebhookRow } from '../../../db/repositories/webhooks';
import { DELIVERY_STATUSES } from '../delivery-schemas';
import { timestamp } from '../../list';

export const IdParams = z.object({ id: z.string().regex(/^wh_[0-9a-z]{26}$/, 'not a webhook id') });

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  })
  .refine((ms) => ms > 0 && ms <= MAX_DELAY_MS, 'must be more than 0 and at most 30d');

export const RetryPolicyIn = z
  .object({
    schedule: z
      .array(duration)
      .min(1)
      .max(MAX_ATTEMPTS - 1),
    jitter: z.number().min(0).max(1),
    notify_after_consecutive_failures: z.number().int().min(1).max(1000),
    disable_on_exhaustion: z.boolean(),
    disable_after_failing_for: duration.nullable(),
  })
  .partial()
  .strict();

/** Header names users may not set: signatures, framing and hop-by-hop headers. */
const RESERVED_HEADER =
  /^(host|content-length|content-type|transfer-encoding|connection|keep-alive|upgrade|te|trailer|proxy-.*|user-agent|webhook-.*|x-webhook-.*|x-signature.*|x-gitproductivity-signature.*|productive-signature.*)$/i;

// RFC 9110 field-value characters: anything else the HTTP client refuses at every attempt.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const customHeaders = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be a valid header name'),
    z.string().max(1000).regex(HEADER_VALUE, 'must be printable Latin-1 text (no newlines or control characters)'),
  )
  .refine((h) => Object.keys(h).length <= 20, 'at most 20 custom headers')
  .superRefine((h, ctx) => {
    for (const name of Object.keys(h)) {
      if (RESERVED_HEADER.test(name))
        ctx.addIssue({ code: 'custom', path: [name], message: `header ${name} is set by Hookflow and cannot be overridden` });
    }
  });

/** A content filter, checked by the same rules that evaluate it; issues are reported at their paths. */
const contentFilter = z
  .record(z.string(), z.unknown())
  .superRefine((f, ctx) => {
    for (const issue of validateFilter(f)) ctx.addIssue({ code: 'custom', path: issue.path ? [issue.path] : [], message: issue.message });
  })
  .describe(
    'only events whose data matches: {"path.to.field": value | {"$eq"|"$in"|"$exists"|"$gt"|"$gte"|"$lt"|"$lte": …}}, all must hold',
  );

export const WebhookIn = z
  .object({
    url: z.string().min(1).max(2048),
    events: z.array(z.string().regex(PATTERN_RE, 'must be an event type, a prefix wildcard like task.*, or *')).min(1).max(100),
    name: z.string().trim().min(1).max(200).optional(),
    profile: z.enum(PROFILE_NAMES).default('standard'),
    method: z.enum(['POST', 'PUT', 'PATCH']).optional(),
    content_type: z.enum(['application/json', 'application/x-www-form-urlencoded']).optional(),
    secret: z.string().min(16).max(256).optional(),
    custom_headers: customHeaders.optional(),
    retry_policy: RetryPolicyIn.optional(),
    max_attempts: z.number().int().min(1).max(MAX_ATTEMPTS).optional(),
    timeout_ms: z.number().int().min(1000).max(60000).optional(),
    status: z.enum(['active', 'inactive']).optional(),
    send_test_on_create: z.boolean().optional(),
    filter: contentFilter.nullable().optional(),
    rate_limit_per_s: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .nullable()
      .optional()
      .describe('at most this many requests per second to the endpoint; null: unlimited'),
  })
  .strict();
export type WebhookIn = z.output<typeof WebhookIn>;

export const WebhookPatch = WebhookIn.omit({ profile: true, send_test_on_create: true, secret: true }).partial().strict();
export type WebhookPatch = z.output<typeof WebhookPatch>;

export const WebhookOut = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  method: z.string(),
  content_type: z.string(),
  events: z.array(z.string()),
  status: z.enum(['active', 'inactive', 'disabled']),
  disabled_reason: z.string().nullable(),
  profile: z.enum(PROFILE_NAMES),
  signature_scheme: z.string(),
  signature_header: z.string().nullable(),
  custom_headers: z.record(z.string(), z.string()),
  retry_policy: z.object({
    schedule: z.array(z.string()),
    jitter: z.number(),
    notify_after_consecutive_failures: z.number(),
    disable_on_exhaustion: z.boolean(),
    disable_after_failing_for: z.string().nullable(),
  }),
  max_attempts: z.number(),
  timeout_ms: z.number(),
  consecutive_failures: z.number(),
  failing_since: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  filter: z.record(z.string(), z.unknown()).nullable(),
  rate_limit_per_s: z.number().nullable(),
  secret: z.string().optional().describe('only in the response that created the webhook'),
});
export type WebhookOut = z.infer<typeof WebhookOut>;

export function toWebhookOut(w: WebhookRow, secret?: string): WebhookOut {
  const p = w.retry_policy;
  return {
    id: w.id,
    name: w.name,
    url: w.url,
    method: w.method,
    content_type: w.content_type,
    events: w.events,
    status: w.status,
    disabled_reason: w.disabled_reason,
    profile: w.profile,
    signature_scheme: w.signature_scheme,
    signature_header: w.signature_header,
    custom_headers: w.custom_headers,
    retry_policy: {
      schedule: p.schedule.map(formatDuration),
      jitter: p.jitter,
      notify_after_consecutive_failures: p.notify_after_consecutive_failures,
      disable_on_exhaustion: p.disable_on_exhaustion,
      disable_after_failing_for: p.disable_after_failing_for === null ? null : formatDuration(p.disable_after_failing_for),
    },
    max_attempts: w.max_attempts,
    timeout_ms: w.timeout_ms,
    consecutive_failures: w.consecutive_failures,
    failing_since: w.failing_since ? w.failing_since.toISOString() : null,
    created_at: w.created_at.toISOString(),
    updated_at: w.updated_at.toISOString(),
    filter: w.filter,
    rate_limit_per_s: w.rate_limit_per_s,
    ...(secret ? { secret } : {}),
  };
}

export const TestResultOut = z.object({
  delivery_id: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  response_code: z.number().nullable(),
  response_time_ms: z.number().nullable(),
  error: z.string().nullable(),
});

export const ReplayIn = z
  .object({
    since: timestamp,
    until: timestamp.optional(),
    statuses: z
      .array(z.enum(['failed', 'abandoned', 'cancelled', 'terminated', 'skipped']))
      .min(1)
      .default(['failed', 'abandoned']),
  })
  .strict();

export const RecoverIn = z
  .object({
    since: timestamp.describe('events published from this time on'),
    until: timestamp.optional().describe('up to this time (default: now)'),
  })
  .strict();

export const QueuedOut = z.object({ queued: z.number().int() });

export const RotateIn = z.object({ secret: z.string().min(16).max(256).optional() }).strict();

export const SecretOut = z.object({
  secret: z.string().nullable(),
  previous_secret_expires_at: z.string().nullable(),
});
