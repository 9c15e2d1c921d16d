import type { NotificationKind } from '../db/repositories/notifications';
import { nextDelay, parseRetryAfter, type RetryPolicy } from '../domain/retry-policy';
import type { DeliveryStatus } from '../../workflows/definitions';
import type { ErrorClass } from './outcome';

/**
 * Which rules apply: a regular delivery follows all of them; a test delivery is one attempt
 * that leaves the endpoint alone; the workspace's system (notification) webhook only retries,
 * since notifications about the notification endpoint itself would recurse.
 */
export type DeliveryKind = 'regular' | 'test' | 'system';

/** The rules of one delivery. */
export interface DeliveryRules {
  deliveryId: string;
  kind: DeliveryKind;
  policy: RetryPolicy;
  maxAttempts: number;
}

/** What the receiver did with one attempt, as far as the rules care. */
export interface AttemptOutcome {
  ok: boolean;
  responseCode: number | null;
  errorClass: ErrorClass | null;
  /** 410 Gone: the receiver asks us to stop. */
  gone: boolean;
  /** The Retry-After header of a 429/503 (other answers' headers are not honoured). */
  retryAfter: string | null;
}

/**
 * The endpoint's failure streak after this attempt was counted. The database counts it
 * atomically (concurrent deliveries of one endpoint share the streak, and only one of them may
 * announce it), so the rules receive the counted streak and decide what follows from it.
 * Null for test and system deliveries, which do not count.
 */
export type StreakAfter =
  /** A failure extended the streak; `crossed`: this failure is the one that reached the threshold. */
  | { kind: 'failed'; consecutiveFailures: number; failingSince: Date; crossed: boolean }
  /** A success ended the streak; `notified`: the streak had announced itself (endpoint.failing). */
  | { kind: 'recovered'; previousFailures: number; notified: boolean };

export interface Decision {
  status: DeliveryStatus;
  /** Milliseconds until the next attempt, or null when the delivery is finished. */
  nextDelayMs: number | null;
  /** Disable the webhook with this reason (whoever actually disables it emits endpoint.disabled). */
  webhookChange: { disable: string } | null;
  /** In order; each carries the fields it adds to the common payload. */
  notifications: { kind: NotificationKind; data: Record<string, unknown> }[];
}

/**
 * The delivery rules as data in, decision out: failure streak and its notifications, 410 →
 * disable, exhaustion (delivery.exhausted, disable_on_exhaustion), disable_after_failing_for,
 * Retry-After and the next delay. `random` draws the jitter.
 */
export function decide(
  rules: DeliveryRules,
  outcome: AttemptOutcome,
  streak: StreakAfter | null,
  attemptNo: number,
  now: number,
  random: () => number = Math.random,
): Decision {
  const notifications: Decision['notifications'] = [];
  if (outcome.ok) {
    if (streak?.kind === 'recovered' && streak.notified) {
      notifications.push({ kind: 'endpoint.recovered', data: { previous_consecutive_failures: streak.previousFailures } });
    }
    return { status: 'success', nextDelayMs: null, webhookChange: null, notifications };
  }
  const { policy, maxAttempts } = rules;
  if (rules.kind === 'test') return { status: 'failed', nextDelayMs: null, webhookChange: null, notifications };
  if (rules.kind === 'system') {
    const delay = nextDelay(policy, maxAttempts, attemptNo, null, random);
    return { status: delay === null ? 'failed' : 'retrying', nextDelayMs: delay, webhookChange: null, notifications };
  }

  const failed = streak?.kind === 'failed' ? streak : null;
  if (failed?.crossed) {
    notifications.push({
      kind: 'endpoint.failing',
      data: { consecutive_failures: failed.consecutiveFailures, failing_since: failed.failingSince },
    });
  }
  const retryAfterMs = outcome.retryAfter === null ? null : parseRetryAfter(outcome.retryAfter, now);
  const delay = outcome.gone ? null : nextDelay(policy, maxAttempts, attemptNo, retryAfterMs, random);
  // The first reason wins: a webhook is disabled once.
  let disable: string | null = null;
  if (outcome.gone) {
    disable = 'endpoint answered 410 Gone';
  } else if (delay === null) {
    notifications.push({ kind: 'delivery.exhausted', data: { attempts: attemptNo } });
    if (policy.disable_on_exhaustion) disable = `delivery ${rules.deliveryId} failed after ${attemptNo} attempts`;
  }
  if (
    !disable &&
    failed &&
    policy.disable_after_failing_for !== null &&
    now - failed.failingSince.getTime() >= policy.disable_after_failing_for
  ) {
    disable = `failing since ${failed.failingSince.toISOString()}`;
  }
  return { status: delay === null ? 'failed' : 'retrying', nextDelayMs: delay, webhookChange: disable ? { disable } : null, notifications };
}
