/** Event type names: dot-separated segments, e.g. `task.created`, `user.role_changed`; matching is case-sensitive. */
export const EVENT_TYPE_RE = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/i;
/** Subscription patterns: an event type, a prefix wildcard (`task.*`), or `*`. */
export const PATTERN_RE = /^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$/i;

/** Whether an event of `type` goes to a webhook subscribed to `patterns`. */
export function matchesSubscription(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => {
    if (p === '*') return true;
    if (p.endsWith('.*')) return type.startsWith(p.slice(0, -1));
    return p === type;
  });
}
