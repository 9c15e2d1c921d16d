/** A webhook's retry policy as stored (durations in milliseconds). */
export interface RetryPolicy {
  /** Delay before each retry; the last one repeats when max_attempts asks for more. */
  schedule: number[];
  /** Fraction of each delay added or removed at random (0 = exact schedule). */
  jitter: number;
  /** The endpoint's failure streak reaching this emits one `endpoint.failing`. */
  notify_after_consecutive_failures: number;
  /** Disable the webhook when a delivery exhausts its schedule. */
  disable_on_exhaustion: boolean;
  /** Disable the webhook when its failure streak is older than this (ms). */
  disable_after_failing_for: number | null;
}

/** Bounds for Retry-After handling and validation. */
export const MAX_DELAY_MS = 30 * 86_400_000;
export const MAX_ATTEMPTS = 101;

/**
 * Delay before the retry that follows failed attempt `attemptNo` (1-based), or null when the
 * attempts are exhausted. A `Retry-After` longer than the scheduled delay wins, bounded by the
 * policy's largest delay. `random` is injected so the rule stays a pure function.
 */
export function nextDelay(
  policy: RetryPolicy,
  maxAttempts: number,
  attemptNo: number,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number | null {
  if (attemptNo >= maxAttempts || policy.schedule.length === 0) return null;
  const idx = Math.min(attemptNo - 1, policy.schedule.length - 1);
  let delay = policy.schedule[idx];
  if (policy.jitter > 0) {
    delay = Math.round(delay * (1 + policy.jitter * (2 * random() - 1)));
  }
  if (retryAfterMs !== null && retryAfterMs > delay) {
    // Longer than planned: wait it, but never beyond the policy's largest delay, and never less
    // than already planned.
    delay = Math.max(delay, Math.min(retryAfterMs, Math.max(...policy.schedule)));
  }
  return Math.max(0, delay);
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the HTTP-date form (IMF-fixdate), not whatever Date.parse happens to accept.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
