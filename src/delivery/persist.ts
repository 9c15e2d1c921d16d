import type { Db } from '../db/knex';
import * as deliveries from '../db/repositories/deliveries';
import type { EventRow } from '../db/repositories/events';
import * as webhooks from '../db/repositories/webhooks';
import { notify } from '../services/notify';
import { isFinal, type DeliveryStatus } from '../../workflows/definitions';
import { decide, type AttemptOutcome, type Decision, type DeliveryRules, type StreakAfter } from './decide';
import type { ErrorClass } from './outcome';

// Recording an attempt and persisting what `decide` makes of it, through the repositories.

/** Small on purpose: it lands in workflow history. */
export interface AttemptResult {
  status: DeliveryStatus;
  /** Milliseconds until the next attempt, or null when the delivery is finished. */
  nextDelayMs: number | null;
  responseCode: number | null;
  errorClass: ErrorClass | null;
  /** Set when the endpoint's rate limit held this attempt back: nothing was sent or recorded;
   *  the workflow waits `waitMs` on a timer and runs the attempt again with `slotAt`. */
  throttle?: { waitMs: number; slotAt: number };
}

/** The result of an attempt that was recorded before (a re-run) or that ended the delivery early. */
export function resultFromRow(d: deliveries.DeliveryRow, now: number, code: number | null, errorClass: ErrorClass | null): AttemptResult {
  const final = isFinal(d.status);
  return {
    status: d.status,
    nextDelayMs: final ? null : Math.max(0, (d.next_attempt_at?.getTime() ?? now) - now),
    responseCode: code,
    errorClass,
  };
}

/** What persisting a decision needs to know about the attempt. */
export interface Recorded {
  webhook: webhooks.WebhookRow;
  event: EventRow;
  attempt: deliveries.AttemptRow;
  outcome: AttemptOutcome & { errorMessage: string | null };
  rules: DeliveryRules;
  now: number;
  random?: () => number;
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
export async function recordSuccess(db: Db, r: Recorded, queued: string[]): Promise<AttemptResult> {
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
export async function recordFailure(db: Db, r: Recorded, queued: string[]): Promise<AttemptResult> {
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
    const payload = {
      webhook_id: webhook.id,
      webhook_name: webhook.name,
      url: webhook.url,
      delivery_id: attempt.delivery_id,
      event_id: event.id,
      ...data,
    };
    const eventId = await notify(trx, { workspace_id: webhook.workspace_id, webhook_id: webhook.id, kind, payload });
    if (eventId) queued.push(eventId);
  };
  for (const n of d.notifications) await send(n.kind, n.data);
  const reason = d.webhookChange?.disable;
  if (reason && (await webhooks.disableWebhook(trx, webhook.id, reason))) await send('endpoint.disabled', { reason });
}
