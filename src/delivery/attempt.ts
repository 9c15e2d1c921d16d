import type { Db } from '../db/knex';
import * as deliveries from '../db/repositories/deliveries';
import * as webhooks from '../db/repositories/webhooks';
import type { NotificationKind } from '../db/repositories/notifications';
import { notify as storeNotification } from '../services/notify';
import { newId } from '../domain/ids';
import { PROFILES } from '../domain/profiles';
import { nextDelay, parseRetryAfter } from '../domain/retry-policy';
import { buildEnvelope, encodeBody } from '../signing/envelope';
import type { SecretBox } from '../signing/secret-box';
import { sign } from '../signing/sign';
import type { AttemptTrigger, DeliveryStatus } from '../../workflows/definitions';
import type { Sender } from './http-client';
import { classifyOutcome, type ErrorClass } from './outcome';

export interface AttemptDeps {
  db: Db;
  secretBox: SecretBox;
  send: Sender;
  now?: () => number;
  random?: () => number;
  /** Starts the workflows of an event (notifications for the notification URL). */
  dispatchEvent?: (eventId: string) => Promise<void>;
  /** Called after an attempt is recorded (metrics). */
  onAttempt?: (a: {
    deliveryId: string;
    status: DeliveryStatus;
    final: boolean;
    errorClass: ErrorClass | null;
    durationMs: number;
    profile: string;
    /** On first attempts: ms from the event's publish to the end of this attempt. */
    sincePublishMs: number | null;
  }) => void;
}

export interface AttemptInput {
  deliveryId: string;
  attemptNo: number;
  trigger: AttemptTrigger;
  /** Workflow time when the attempt was scheduled (Temporal's clock, also under time skipping). */
  scheduledAtMs?: number;
}

/** Small on purpose: it lands in workflow history. */
export interface AttemptResult {
  status: DeliveryStatus;
  /** Milliseconds until the next attempt, or null when the delivery is finished. */
  nextDelayMs: number | null;
  responseCode: number | null;
  errorClass: ErrorClass | null;
}

export const MAX_STORED_BODY = 4096;

export class DeliveryGoneError extends Error {}

function resultFromRow(d: deliveries.DeliveryRow, now: number, code: number | null, errorClass: ErrorClass | null): AttemptResult {
  const final = deliveries.FINAL_STATUSES.includes(d.status);
  return {
    status: d.status,
    nextDelayMs: final ? null : Math.max(0, (d.next_attempt_at?.getTime() ?? now) - now),
    responseCode: code,
    errorClass,
  };
}

/**
 * One attempt: load the webhook and its secret, sign, send, then record the attempt, the
 * endpoint's failure streak, notifications and the delivery's new state in one transaction.
 * HTTP failures are returned; only infrastructure errors throw (and Temporal retries them).
 * Re-running an attempt that was already recorded returns the recorded outcome unsent.
 */
export async function runAttempt(deps: AttemptDeps, input: AttemptInput): Promise<AttemptResult> {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const ctx = await deliveries.loadAttemptContext(db, input.deliveryId, input.attemptNo);
  if (!ctx) throw new DeliveryGoneError(`delivery ${input.deliveryId} not found`);
  const { delivery, recorded, webhook, event } = ctx;
  if (recorded) return resultFromRow(delivery, now(), recorded.response_code, recorded.error_class as ErrorClass | null);
  if (delivery.status === 'cancelled') return resultFromRow(delivery, now(), null, null);

  const isTest = input.trigger === 'test';
  if (!webhook || webhook.deleted_at || (!isTest && webhook.status !== 'active')) {
    await deliveries.updateDelivery(db, delivery.id, { status: 'abandoned', next_attempt_at: null, completed_at: new Date(now()) });
    return { status: 'abandoned', nextDelayMs: null, responseCode: null, errorClass: null };
  }
  if (!event) throw new DeliveryGoneError(`event ${delivery.event_id} not found`);

  const profile = PROFILES[webhook.profile];
  const secrets: string[] = [];
  if (webhook.secret_enc) secrets.push(deps.secretBox.decrypt(webhook.secret_enc));
  if (webhook.previous_secret_enc && webhook.previous_secret_expires_at && webhook.previous_secret_expires_at.getTime() > now()) {
    secrets.push(deps.secretBox.decrypt(webhook.previous_secret_enc));
  }
  const envelope = buildEnvelope(profile.envelope, { id: event.id, type: event.type, createdAt: event.created_at, data: event.payload }, webhook.id);
  const body = encodeBody(webhook.content_type, envelope);
  const startedAt = new Date(now());
  const timestamp = Math.floor(startedAt.getTime() / 1000);
  const signatureHeaders = sign(webhook.signature_scheme, { secrets, msgId: delivery.id, timestamp, body, header: webhook.signature_header });
  const extraIds: Record<string, string> =
    profile.envelope === 'generic' ? { 'X-Webhook-ID': delivery.id, 'X-Webhook-Timestamp': String(timestamp) } : {};

  const res = await deps.send({
    url: webhook.url,
    method: webhook.method,
    headers: { ...webhook.custom_headers, 'content-type': webhook.content_type, ...extraIds, ...signatureHeaders },
    body,
    timeoutMs: webhook.timeout_ms,
  });

  const outcome = res.kind === 'response' ? classifyOutcome(res.statusCode) : null;
  const ok = outcome?.ok ?? false;
  const errorClass: ErrorClass | null = res.kind === 'error' ? res.errorClass : outcome!.errorClass;
  const responseCode = res.kind === 'response' ? res.statusCode : null;
  let errorMessage: string | null = res.kind === 'error' ? res.message : null;
  if (res.kind === 'response' && errorClass === 'redirect') errorMessage = `redirect not followed: Location ${String(res.headers.location ?? '')}`;

  const attempt: deliveries.AttemptRow = {
    id: newId('att'),
    delivery_id: delivery.id,
    attempt_no: input.attemptNo,
    started_at: startedAt,
    duration_ms: res.durationMs,
    response_code: responseCode,
    response_body: res.kind === 'response' ? res.body.slice(0, MAX_STORED_BODY) : null,
    error_class: errorClass,
    error_message: errorMessage,
    trigger: input.trigger,
  };
  const queued: string[] = [];
  const notifier = (trx: Db) => async (kind: NotificationKind, extra: Record<string, unknown> = {}) => {
    const eventId = await storeNotification(trx, {
      workspace_id: webhook.workspace_id,
      webhook_id: webhook.id,
      kind,
      payload: { webhook_id: webhook.id, webhook_name: webhook.name, url: webhook.url, delivery_id: delivery.id, event_id: event.id, ...extra },
    });
    if (eventId) queued.push(eventId);
  };

  let result: AttemptResult;
  if (ok) {
    // The common case in one statement; a streak that notified ends in its own transaction.
    const streakWebhookId = isTest || webhook.is_system ? null : webhook.id;
    const done = await deliveries.recordSuccessfulAttempt(db, attempt, { last_response_code: responseCode, last_response_time_ms: res.durationMs, completed_at: new Date(now()) }, streakWebhookId);
    if (!done.inserted) {
      // A concurrent run of this same attempt recorded it first; its outcome stands.
      result = resultFromRow((await deliveries.getDeliveryById(db, delivery.id))!, now(), responseCode, errorClass);
    } else {
      if (done.notifiedStreak) {
        await db.transaction(async (trx) => {
          const { recovered, failures } = await webhooks.recordSuccess(trx, webhook.id);
          if (recovered) await notifier(trx)('endpoint.recovered', { previous_consecutive_failures: failures });
        });
      }
      result = { status: 'success', nextDelayMs: null, responseCode, errorClass };
    }
  } else {
    result = await db.transaction(async (trx) => {
      const fresh = await deliveries.insertAttempt(trx, attempt);
      if (!fresh) {
        // A concurrent run of this same attempt recorded it first; its outcome stands.
        const current = (await deliveries.getDeliveryById(trx, delivery.id))!;
        return resultFromRow(current, now(), responseCode, errorClass);
      }
      let status: DeliveryStatus;
      let delay: number | null = null;
      const notify = notifier(trx);
      const disable = async (reason: string) => {
        if (await webhooks.disableWebhook(trx, webhook.id, reason)) await notify('endpoint.disabled', { reason });
      };

      if (webhook.is_system) {
        // Notifications about the notification endpoint itself would recurse: it only retries.
        delay = nextDelay(webhook.retry_policy, webhook.max_attempts, input.attemptNo, null, deps.random);
        status = delay === null ? 'failed' : 'retrying';
      } else if (isTest) {
        status = 'failed';
      } else {
        const policy = webhook.retry_policy;
        const streak = await webhooks.recordFailure(trx, webhook.id, policy.notify_after_consecutive_failures, startedAt);
        if (streak.crossed) await notify('endpoint.failing', { consecutive_failures: streak.consecutive_failures, failing_since: streak.failing_since });
        const retryAfter =
          res.kind === 'response' && outcome!.honourRetryAfter ? parseRetryAfter(String(res.headers['retry-after'] ?? ''), now()) : null;
        delay = outcome?.gone ? null : nextDelay(policy, webhook.max_attempts, input.attemptNo, retryAfter, deps.random);
        status = delay === null ? 'failed' : 'retrying';
        if (outcome?.gone) {
          await disable('endpoint answered 410 Gone');
        } else if (delay === null) {
          await notify('delivery.exhausted', { attempts: input.attemptNo });
          if (policy.disable_on_exhaustion) await disable(`delivery ${delivery.id} failed after ${input.attemptNo} attempts`);
        }
        if (policy.disable_after_failing_for !== null && now() - new Date(streak.failing_since).getTime() >= policy.disable_after_failing_for) {
          await disable(`failing since ${new Date(streak.failing_since).toISOString()}`);
        }
      }
      const final = delay === null;
      await deliveries.updateDelivery(trx, delivery.id, {
        status,
        attempts: input.attemptNo,
        next_attempt_at: final ? null : new Date(now() + delay!),
        last_response_code: responseCode,
        last_response_time_ms: res.durationMs,
        last_error: errorMessage ?? (errorClass === 'http_status' ? `HTTP ${responseCode}` : null),
        completed_at: final ? new Date(now()) : null,
      });
      return { status, nextDelayMs: delay, responseCode, errorClass };
    });
  }
  for (const eventId of queued) {
    await deps.dispatchEvent?.(eventId).catch(() => {
      /* left undispatched: the reconciler starts it */
    });
  }
  deps.onAttempt?.({
    deliveryId: delivery.id,
    status: result.status,
    final: result.nextDelayMs === null,
    errorClass,
    durationMs: res.durationMs,
    profile: webhook.profile,
    sincePublishMs: input.attemptNo === 1 && !isTest ? Date.now() - event.created_at.getTime() : null,
  });
  return result;
}

/** Ends a delivery outside an attempt (cancel). */
export async function finishDelivery(db: Db, deliveryId: string, status: DeliveryStatus): Promise<void> {
  await db('deliveries')
    .where({ id: deliveryId })
    .whereNotIn('status', ['success'])
    .update({ status, next_attempt_at: null, completed_at: db.fn.now(), updated_at: db.fn.now() });
}
