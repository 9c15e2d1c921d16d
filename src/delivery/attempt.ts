import type { Db } from '../db/knex';
import * as deliveries from '../db/repositories/deliveries';
import { newId } from '../domain/ids';
import type { SecretBox } from '../signing/secret-box';
import type { AttemptTrigger, DeliveryStatus } from '../../workflows/definitions';
import type { Sender } from './http-client';
import type { ErrorClass } from './outcome';
import { recordFailure, recordSuccess, resultFromRow, type AttemptResult, type Recorded } from './persist';
import { activeSecrets, prepareRequest, toOutcome } from './prepare';
import { takeSendSlot } from './throttle';

export type { AttemptResult } from './persist';

export interface AttemptDeps {
  db: Db;
  secretBox: SecretBox;
  send: Sender;
  now?: () => number;
  random?: () => number;
  /** Called as a worker of this process begins an attempt (the dispatcher's pacing). */
  onAttemptStart?: (deliveryId: string) => void;
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
  /** The send slot this attempt reserved when it was throttled before (epoch ms). */
  throttleSlotAt?: number;
}

/** Response and request bodies are stored up to this many bytes. */
export const MAX_STORED_BODY = 4096;

export class DeliveryGoneError extends Error {}

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

  if (webhook.rate_limit_per_s) {
    const slot = await takeSendSlot(db, webhook.id, webhook.rate_limit_per_s, input.throttleSlotAt ?? null);
    if (!slot.send)
      return {
        status: delivery.status,
        nextDelayMs: null,
        responseCode: null,
        errorClass: null,
        throttle: { waitMs: slot.waitMs, slotAt: slot.slotAt },
      };
  }

  const startedAt = now();
  const request = prepareRequest(webhook, event, delivery.id, activeSecrets(webhook, deps.secretBox, startedAt), startedAt);
  const res = await deps.send(request);
  const outcome = toOutcome(res);
  const r: Recorded = {
    webhook,
    event,
    outcome,
    rules: {
      deliveryId: delivery.id,
      kind: isTest ? 'test' : webhook.is_system ? 'system' : 'regular',
      policy: webhook.retry_policy,
      maxAttempts: webhook.max_attempts,
    },
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
      // What the endpoint got (the signature header is not a secret: it is only valid for this body).
      request_url: request.url,
      request_method: request.method,
      request_headers: request.headers,
      request_body: request.body.slice(0, MAX_STORED_BODY),
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
