import { describe, expect, it } from 'vitest';
import { decide, type AttemptOutcome, type DeliveryRules, type StreakAfter } from '../../src/delivery/decide';
import type { RetryPolicy } from '../../src/domain/retry-policy';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const HOUR = 3_600_000;
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  schedule: [60_000, 300_000, 1_800_000],
  jitter: 0,
  notify_after_consecutive_failures: 3,
  disable_on_exhaustion: false,
  disable_after_failing_for: null,
  ...over,
});
const rules = (over: Partial<DeliveryRules> = {}): DeliveryRules => ({
  deliveryId: 'dlv_1',
  kind: 'regular',
  policy: policy(),
  maxAttempts: 4,
  ...over,
});
const ok: AttemptOutcome = { ok: true, responseCode: 200, errorClass: null, gone: false, retryAfter: null };
const http = (code: number, retryAfter: string | null = null): AttemptOutcome => ({
  ok: false,
  responseCode: code,
  errorClass: 'http_status',
  gone: code === 410,
  retryAfter,
});
const timeout: AttemptOutcome = { ok: false, responseCode: null, errorClass: 'timeout', gone: false, retryAfter: null };
const failed = (n: number, crossed = false, since = NOW - HOUR): StreakAfter => ({
  kind: 'failed',
  consecutiveFailures: n,
  failingSince: new Date(since),
  crossed,
});
const recovered = (previousFailures: number, notified: boolean): StreakAfter => ({ kind: 'recovered', previousFailures, notified });

interface Row {
  rule: string;
  rules?: Partial<DeliveryRules>;
  outcome: AttemptOutcome;
  streak: StreakAfter | null;
  attemptNo: number;
  random?: number;
  status: string;
  nextDelayMs: number | null;
  disable?: string | RegExp;
  notifications?: string[];
}

const table: Row[] = [
  { rule: 'a 2xx finishes the delivery', outcome: ok, streak: null, attemptNo: 1, status: 'success', nextDelayMs: null },
  {
    rule: 'a success after an unannounced streak notifies nobody',
    outcome: ok,
    streak: recovered(2, false),
    attemptNo: 2,
    status: 'success',
    nextDelayMs: null,
  },
  {
    rule: 'a success after an announced streak emits endpoint.recovered',
    outcome: ok,
    streak: recovered(5, true),
    attemptNo: 2,
    status: 'success',
    nextDelayMs: null,
    notifications: ['endpoint.recovered'],
  },
  {
    rule: 'a failure waits the scheduled delay',
    outcome: http(500),
    streak: failed(1),
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 60_000,
  },
  {
    rule: 'a network error is retried like an HTTP failure',
    outcome: timeout,
    streak: failed(1),
    attemptNo: 2,
    status: 'retrying',
    nextDelayMs: 300_000,
  },
  {
    rule: 'the last scheduled delay repeats when max_attempts asks for more',
    rules: { maxAttempts: 10 },
    outcome: http(500),
    streak: failed(1),
    attemptNo: 6,
    status: 'retrying',
    nextDelayMs: 1_800_000,
  },
  {
    rule: 'jitter moves the delay by at most its fraction',
    rules: { policy: policy({ jitter: 0.5 }) },
    random: 1,
    outcome: http(500),
    streak: failed(1),
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 90_000,
  },
  {
    rule: 'the failure that reaches the threshold emits endpoint.failing',
    outcome: http(500),
    streak: failed(3, true),
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 60_000,
    notifications: ['endpoint.failing'],
  },
  {
    rule: 'later failures of an announced streak stay quiet',
    outcome: http(500),
    streak: failed(4, false),
    attemptNo: 2,
    status: 'retrying',
    nextDelayMs: 300_000,
  },
  {
    rule: 'exhaustion fails the delivery and emits delivery.exhausted',
    outcome: http(500),
    streak: failed(2),
    attemptNo: 4,
    status: 'failed',
    nextDelayMs: null,
    notifications: ['delivery.exhausted'],
  },
  {
    rule: 'exhaustion with disable_on_exhaustion disables the webhook',
    rules: { policy: policy({ disable_on_exhaustion: true }) },
    outcome: http(500),
    streak: failed(2),
    attemptNo: 4,
    status: 'failed',
    nextDelayMs: null,
    disable: 'delivery dlv_1 failed after 4 attempts',
    notifications: ['delivery.exhausted'],
  },
  {
    rule: 'crossing the threshold on the last attempt emits both notifications, failing first',
    outcome: http(500),
    streak: failed(3, true),
    attemptNo: 4,
    status: 'failed',
    nextDelayMs: null,
    notifications: ['endpoint.failing', 'delivery.exhausted'],
  },
  {
    rule: '410 Gone fails the delivery at once and disables the webhook',
    outcome: http(410),
    streak: failed(1),
    attemptNo: 1,
    status: 'failed',
    nextDelayMs: null,
    disable: /410 Gone/,
  },
  {
    rule: '410 on the last attempt is not an exhaustion',
    outcome: http(410),
    streak: failed(1),
    attemptNo: 4,
    status: 'failed',
    nextDelayMs: null,
    disable: /410 Gone/,
  },
  {
    rule: 'a streak older than disable_after_failing_for disables the webhook',
    rules: { policy: policy({ disable_after_failing_for: 5 * 24 * HOUR }) },
    outcome: http(500),
    streak: failed(40, false, NOW - 5 * 24 * HOUR),
    attemptNo: 2,
    status: 'retrying',
    nextDelayMs: 300_000,
    disable: /^failing since 2026-01-05T12:00:00/,
  },
  {
    rule: 'a younger streak keeps the webhook',
    rules: { policy: policy({ disable_after_failing_for: 5 * 24 * HOUR }) },
    outcome: http(500),
    streak: failed(40, false, NOW - 5 * 24 * HOUR + 1),
    attemptNo: 2,
    status: 'retrying',
    nextDelayMs: 300_000,
  },
  {
    rule: '410 names itself as the reason even when the streak is also too old',
    rules: { policy: policy({ disable_after_failing_for: HOUR }) },
    outcome: http(410),
    streak: failed(9, false, NOW - 2 * HOUR),
    attemptNo: 1,
    status: 'failed',
    nextDelayMs: null,
    disable: /410 Gone/,
  },
  {
    rule: 'a Retry-After longer than the schedule is honoured on 429',
    outcome: http(429, '120'),
    streak: failed(1),
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 120_000,
  },
  {
    rule: 'a Retry-After HTTP date is honoured on 503',
    outcome: http(503, new Date(NOW + 600_000).toUTCString()),
    streak: failed(1),
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 600_000,
  },
  {
    rule: 'Retry-After is bounded by the largest scheduled delay',
    outcome: http(429, String(86_400)),
    streak: failed(1),
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 1_800_000,
  },
  {
    rule: 'a Retry-After shorter than the schedule does not hurry the retry',
    outcome: http(503, '1'),
    streak: failed(1),
    attemptNo: 2,
    status: 'retrying',
    nextDelayMs: 300_000,
  },
  {
    rule: 'an unparseable Retry-After keeps the schedule',
    outcome: http(429, 'soon'),
    streak: failed(1),
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 60_000,
  },
  {
    rule: 'a failed test delivery ends at once and touches nothing',
    rules: { kind: 'test' },
    outcome: http(410),
    streak: null,
    attemptNo: 1,
    status: 'failed',
    nextDelayMs: null,
  },
  {
    rule: 'a successful test delivery succeeds',
    rules: { kind: 'test' },
    outcome: ok,
    streak: null,
    attemptNo: 1,
    status: 'success',
    nextDelayMs: null,
  },
  {
    rule: 'the system webhook retries on its schedule',
    rules: { kind: 'system' },
    outcome: http(500),
    streak: null,
    attemptNo: 1,
    status: 'retrying',
    nextDelayMs: 60_000,
  },
  {
    rule: 'the system webhook neither disables on 410 nor honours Retry-After',
    rules: { kind: 'system' },
    outcome: { ...http(410), retryAfter: '600' },
    streak: null,
    attemptNo: 2,
    status: 'retrying',
    nextDelayMs: 300_000,
  },
  {
    rule: 'the system webhook fails quietly when exhausted',
    rules: { kind: 'system', policy: policy({ disable_on_exhaustion: true }) },
    outcome: http(500),
    streak: null,
    attemptNo: 4,
    status: 'failed',
    nextDelayMs: null,
  },
];

describe('decide: the delivery rules', () => {
  it.each(table)('$rule', (row) => {
    const d = decide(rules(row.rules), row.outcome, row.streak, row.attemptNo, NOW, () => row.random ?? 0.5);
    expect(d.status).toBe(row.status);
    expect(d.nextDelayMs).toBe(row.nextDelayMs);
    if (row.disable === undefined) expect(d.webhookChange).toBeNull();
    else expect(d.webhookChange?.disable).toMatch(row.disable);
    expect(d.notifications.map((n) => n.kind)).toEqual(row.notifications ?? []);
  });

  it('endpoint.failing carries the streak, endpoint.recovered its length, delivery.exhausted the attempts', () => {
    const since = new Date(NOW - HOUR);
    expect(decide(rules(), http(500), failed(3, true, since.getTime()), 1, NOW).notifications[0].data).toEqual({
      consecutive_failures: 3,
      failing_since: since,
    });
    expect(decide(rules(), ok, recovered(7, true), 1, NOW).notifications[0].data).toEqual({ previous_consecutive_failures: 7 });
    expect(decide(rules(), timeout, failed(1), 4, NOW).notifications[0].data).toEqual({ attempts: 4 });
  });
});
