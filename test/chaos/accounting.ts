/**
 * The chaos run's books: what the producer had accepted, what the receivers saw, what the
 * database says. A pure function of those, so the checks themselves are unit-tested.
 */
import type { Fault } from './faults';
import type { PublishError, Published } from './producer';
import type { DeliverySeen } from './receivers';

export interface DeliveryRowLite {
  id: string;
  event_id: string;
  webhook_id: string;
  status: string;
  /** Attempts recorded in delivery_attempts. */
  recorded: number;
}

export interface AccountInput {
  t0: number;
  published: Published[];
  publishErrors: PublishError[];
  /** One per webhook: the receiver's records by delivery id (`webhook-id`). */
  receivers: { name: string; webhookId: string; seen: Map<string, DeliverySeen>; signatureFailures: string[] }[];
  rows: DeliveryRowLite[];
  /** Ids of the run's events found in the database. */
  eventsInDb: Set<string>;
  /** Notifications of the run's webhooks; `streak` is an endpoint.failing's `failing_since` (its streak's start). */
  notifications: { webhook_id: string; kind: string; streak: string | null }[];
  runningWorkflows: number;
  finalStatuses: readonly string[];
  faults: Fault[];
}

export interface FaultEffect extends Fault {
  publishErrors: number;
  /** Largest time from an event's acceptance to its first request at a receiver, for events accepted during the fault. */
  maxDispatchLagMs: number | null;
}

export interface Report {
  eventsPublished: number;
  eventsAccepted: number;
  publishTries: number;
  publishErrors: number;
  deliveriesExpected: number;
  deliveriesReceived: number;
  missing: number;
  /** 2xx answers beyond the first for a delivery (at-least-once; receivers dedupe on webhook-id). */
  duplicates: number;
  requests: number;
  stuck: number;
  disagreements: number;
  runningWorkflows: number;
  signatureFailures: number;
  notifications: number;
  faults: FaultEffect[];
  /** Each broken promise, readable; empty means the run passed. */
  violations: string[];
}

/** After a fault has recovered, its effects may still show for this long. */
const EFFECT_GRACE_MS = 5000;
const SHOW = 5;

export function account(input: AccountInput): Report {
  const violations: string[] = [];
  const report = (what: string, items: string[]) => {
    if (items.length) violations.push(`${items.length} ${what}: ${items.slice(0, SHOW).join('; ')}${items.length > SHOW ? '; …' : ''}`);
  };
  const accepted = input.published.filter((p) => p.eventId !== null);
  report(
    'events never accepted',
    input.published.filter((p) => p.eventId === null).map((p) => p.key),
  );
  report(
    'idempotency keys answered with more than one event',
    accepted.filter((p) => p.eventIds.size > 1).map((p) => `${p.key} → ${[...p.eventIds].join(', ')}`),
  );
  report(
    'accepted events missing from the database',
    accepted.filter((p) => !input.eventsInDb.has(p.eventId!)).map((p) => p.eventId!),
  );

  const rowByPair = new Map(input.rows.map((r) => [`${r.event_id}/${r.webhook_id}`, r]));
  const seenBy = new Map(input.receivers.map((r) => [r.webhookId, r.seen]));
  let expected = 0;
  let received = 0;
  let duplicates = 0;
  let requests = 0;
  const missing: string[] = [];
  const stuck: string[] = [];
  const disagree: string[] = [];
  const acceptedAt = new Map(accepted.map((p) => [p.eventId!, p.acceptedAt!]));
  const firstRequestAt = new Map<string, number>();
  for (const p of accepted) {
    for (const rcv of input.receivers) {
      expected++;
      const row = rowByPair.get(`${p.eventId}/${rcv.webhookId}`);
      if (!row) {
        missing.push(`no delivery row for ${p.eventId} → ${rcv.name}`);
        continue;
      }
      const seen = seenBy.get(rcv.webhookId)!.get(row.id);
      requests += seen?.requests ?? 0;
      if (seen) firstRequestAt.set(row.id, seen.firstAt);
      if (seen && seen.ok > 0) {
        received++;
        duplicates += seen.ok - 1;
      } else missing.push(`${row.id} (${rcv.name}) never answered 2xx; row ${row.status}`);
      if (!input.finalStatuses.includes(row.status)) stuck.push(`${row.id} ${row.status}`);
      if ((row.status === 'success') !== (seen !== undefined && seen.ok > 0))
        disagree.push(`${row.id}: row ${row.status}, receiver ${seen?.ok ?? 0}× 2xx`);
      if (row.recorded > (seen?.requests ?? 0))
        disagree.push(`${row.id}: ${row.recorded} attempts recorded, ${seen?.requests ?? 0} received`);
    }
  }
  report('deliveries never received with a 2xx', missing);
  report('deliveries stuck non-final', stuck);
  report('disagreements between the database and the receivers', disagree);
  if (input.runningWorkflows > 0) violations.push(`${input.runningWorkflows} workflows still running`);
  const sigs = input.receivers.flatMap((r) => r.signatureFailures.map((f) => `${r.name} ${f}`));
  report('signature failures', sigs);

  // One endpoint.failing per failure streak: a streak is known by its start (failing_since,
  // reset by a success), so two endpoint.failing naming the same start notified one streak twice.
  const streaks = new Map<string, number>();
  for (const n of input.notifications) {
    if (n.kind !== 'endpoint.failing') continue;
    const k = `${n.webhook_id} streak since ${n.streak}`;
    streaks.set(k, (streaks.get(k) ?? 0) + 1);
  }
  const doubled = [...streaks].filter(([, count]) => count > 1).map(([k, count]) => `${k}: ${count}×`);
  report('failure streaks notified more than once', doubled);

  const rowsByEvent = new Map<string, DeliveryRowLite[]>();
  for (const r of input.rows) rowsByEvent.set(r.event_id, [...(rowsByEvent.get(r.event_id) ?? []), r]);
  const faults = input.faults.map((f, i): FaultEffect => {
    // From injection to a little after recovery, but never into the next fault.
    const from = input.t0 + f.at;
    const next = input.faults[i + 1];
    const to = input.t0 + Math.min((f.recoveredAt ?? f.at) + EFFECT_GRACE_MS, next ? next.at : Infinity);
    let lag: number | null = null;
    for (const [eventId, at] of acceptedAt) {
      if (at < from || at > to) continue;
      for (const r of rowsByEvent.get(eventId) ?? []) {
        const first = firstRequestAt.get(r.id);
        if (first !== undefined) lag = Math.max(lag ?? 0, first - at);
      }
    }
    return { ...f, publishErrors: input.publishErrors.filter((e) => e.at >= from && e.at <= to).length, maxDispatchLagMs: lag };
  });

  return {
    eventsPublished: input.published.length,
    eventsAccepted: accepted.length,
    publishTries: input.published.reduce((n, p) => n + p.tries, 0),
    publishErrors: input.publishErrors.length,
    deliveriesExpected: expected,
    deliveriesReceived: received,
    missing: missing.length,
    duplicates,
    requests,
    stuck: stuck.length,
    disagreements: disagree.length,
    runningWorkflows: input.runningWorkflows,
    signatureFailures: sigs.length,
    notifications: input.notifications.length,
    faults,
    violations,
  };
}
