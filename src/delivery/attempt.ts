import type { Db } from '../db/knex';
import * as deliveries from '../db/repositories/deliveries';
import type { EventRow } from '../db/repositories/events';
import * as webhooks from '../db/repositories/webhooks';
import { newId } from '../domain/ids';
import { notify } from '../services/notify';
import type { SecretBox } from '../signing/secret-box';
import { isFinal, type AttemptTrigger, type DeliveryStatus } from '../../workflows/definitions';
import { decide, type AttemptOutcome, type Decision, type DeliveryRules, type StreakAfter } from './decide';
import type { Sender } from './http-client';
import type { ErrorClass } from './outcome';
import { activeSecrets, prepareRequest, toOutcome } from './prepare';

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
  const final = isFinal(d.status);
  return {
    status: d.status,
    nextDelayMs: final ? null : Math.max(0, (d.next_attempt_at?.getTime() ?? now) - now),
    responseCode: code,
    errorClass,
  };
}

/** What persisting a decision needs to know about the attempt. */
interface Recorded {
  webhook: webhooks.WebhookRow;
  event: EventRow;
  attempt: deliveries.AttemptRow;
  outcome: AttemptOutcome & { errorMessage: string | null };
  rules: DeliveryRules;
  now: number;
  random?: () => number;
}

/**
 * One attempt: load the webhook and its secret, prepare the request, send it, then record the
 * attempt and persist what `decide` makes of it. HTTP failures are returned; only
 * infrastructure errors throw (and Temporal retries them). Re-running an attempt that was
 * already recorded returns the recorded outcome unsent.
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

  const startedAt = now();
  const res = await deps.send(prepareRequest(webhook, event, delivery.id, activeSecrets(webhook, deps.secretBox, startedAt), startedAt));
  const outcome = toOutcome(res);
  const r: Recorded = {
    webhook,
    event,
    outcome,
    rules: { deliveryId: delivery.id, kind: isTest ? 'test' : webhook.is_system ? 'system' : 'regular', policy: webhook.retry_policy, maxAttempts: webhook.max_attempts },
    now: now(),
    random: deps.random,
    attempt: {
      id: newId('att'),
      delivery_id: delivery.id,
      attempt_no: input.attemptNo,
      started_at: new Date(startedAt),
      duration_ms: res.durationMs,
      response_code: outcome.responseCode,
      response_body: res.kind === 'response' ? res.body.slice(0, MAX_STORED_BODY) : null,
      error_class: outcome.errorClass,
      error_message: outcome.errorMessage,
      trigger: input.trigger,
    },
  };
  const queued: string[] = [];
  const result = outcome.ok ? await recordSuccess(db, r, queued) : await recordFailure(db, r, queued);
  for (const eventId of queued) {
    await deps.dispatchEvent?.(eventId).catch(() => {
      /* left undispatched: the reconciler starts it */
    });
  }
  deps.onAttempt?.({
    deliveryId: delivery.id,
    status: result.status,
    final: result.nextDelayMs === null,
    errorClass: outcome.errorClass,
    durationMs: res.durationMs,
    profile: webhook.profile,
    sincePublishMs: input.attemptNo === 1 && !isTest ? Date.now() - event.created_at.getTime() : null,
  });
  return result;
}

/** The decision's result for the workflow; also when a concurrent run recorded this attempt first. */
async function outcomeOf(db: Db, r: Recorded, decision: Decision | null): Promise<AttemptResult> {
  const { responseCode, errorClass } = r.outcome;
  if (decision) return { status: decision.status, nextDelayMs: decision.nextDelayMs, responseCode, errorClass };
  // A concurrent run of this same attempt recorded it first; its outcome stands.
  return resultFromRow((await deliveries.getDeliveryById(db, r.attempt.delivery_id))!, r.now, responseCode, errorClass);
}

/**
 * The common case in one statement (attempt, delivery, a streak that never notified); a streak
 * that notified ends in its own transaction, with its endpoint.recovered.
 */
async function recordSuccess(db: Db, r: Recorded, queued: string[]): Promise<AttemptResult> {
  const { attempt, outcome } = r;
  const streakWebhookId = r.rules.kind === 'regular' ? r.webhook.id : null;
  const delivery = { last_response_code: outcome.responseCode, last_response_time_ms: attempt.duration_ms, completed_at: new Date(r.now) };
  const done = await deliveries.recordSuccessfulAttempt(db, attempt, delivery, streakWebhookId);
  if (!done.inserted) return outcomeOf(db, r, null);
  if (!done.notifiedStreak) return outcomeOf(db, r, decide(r.rules, outcome, null, attempt.attempt_no, r.now, r.random));
  const decision = await db.transaction(async (trx) => {
    const ended = await webhooks.recordSuccess(trx, r.webhook.id);
    const streak: StreakAfter = { kind: 'recovered', previousFailures: ended.failures, notified: ended.recovered };
    const d = decide(r.rules, outcome, streak, attempt.attempt_no, r.now, r.random);
    await persistNotifications(trx, r, d, queued);
    return d;
  });
  return outcomeOf(db, r, decision);
}

/** A failure: the attempt, the counted streak, then the decision, in one transaction. */
async function recordFailure(db: Db, r: Recorded, queued: string[]): Promise<AttemptResult> {
  const { attempt, outcome } = r;
  const decision = await db.transaction(async (trx) => {
    if (!(await deliveries.insertAttempt(trx, attempt))) return null;
    let streak: StreakAfter | null = null;
    if (r.rules.kind === 'regular') {
      const s = await webhooks.recordFailure(trx, r.webhook.id, r.rules.policy.notify_after_consecutive_failures, attempt.started_at);
      streak = { kind: 'failed', consecutiveFailures: s.consecutive_failures, failingSince: new Date(s.failing_since), crossed: s.crossed };
    }
    const d = decide(r.rules, outcome, streak, attempt.attempt_no, r.now, r.random);
    await persistNotifications(trx, r, d, queued);
    const final = d.nextDelayMs === null;
    await deliveries.updateDelivery(trx, attempt.delivery_id, {
      status: d.status,
      attempts: attempt.attempt_no,
      next_attempt_at: final ? null : new Date(r.now + d.nextDelayMs!),
      last_response_code: outcome.responseCode,
      last_response_time_ms: attempt.duration_ms,
      last_error: outcome.errorMessage ?? (outcome.errorClass === 'http_status' ? `HTTP ${outcome.responseCode}` : null),
      completed_at: final ? new Date(r.now) : null,
    });
    return d;
  });
  return outcomeOf(db, r, decision);
}

/** The decision's notifications and webhook change; endpoint.disabled only from whoever disabled it. */
async function persistNotifications(trx: Db, r: Recorded, d: Decision, queued: string[]): Promise<void> {
  const { webhook, event, attempt } = r;
  const send = async (kind: Decision['notifications'][number]['kind'], data: Record<string, unknown>) => {
    const payload = { webhook_id: webhook.id, webhook_name: webhook.name, url: webhook.url, delivery_id: attempt.delivery_id, event_id: event.id, ...data };
    const eventId = await notify(trx, { workspace_id: webhook.workspace_id, webhook_id: webhook.id, kind, payload });
    if (eventId) queued.push(eventId);
  };
  for (const n of d.notifications) await send(n.kind, n.data);
  const reason = d.webhookChange?.disable;
  if (reason && (await webhooks.disableWebhook(trx, webhook.id, reason))) await send('endpoint.disabled', { reason });
}
