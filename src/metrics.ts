import type { Logger } from 'pino';
import client from 'prom-client';
import type { Db } from './db/knex';
import { countWebhooksByStatus } from './db/repositories/webhooks';
import type { AttemptDeps } from './delivery/attempt';

/** Prometheus metrics of one process (API, worker or both). */
export function createMetrics(
  opts: { webhookCounts?: () => Promise<{ status: string; count: number }[]>; dispatchBacklog?: () => number } = {},
) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsPublished: new client.Counter({ name: 'hookflow_events_published_total', help: 'Events accepted', registers: [registry] }),
    publishRefused: new client.Counter({
      name: 'hookflow_publish_refused_total',
      help: 'Events refused with 503 because the dispatch backlog was full',
      registers: [registry],
    }),
    dispatchBacklog: new client.Gauge({
      name: 'hookflow_dispatch_backlog',
      help: 'Deliveries accepted by this process whose workflows are not started yet',
      registers: [registry],
      collect() {
        if (opts.dispatchBacklog) this.set(opts.dispatchBacklog());
      },
    }),
    attempts: new client.Counter({
      name: 'hookflow_delivery_attempts_total',
      help: 'Delivery attempts by resulting status, error class and profile',
      labelNames: ['status', 'error_class', 'profile'],
      registers: [registry],
    }),
    attemptDuration: new client.Histogram({
      name: 'hookflow_attempt_duration_seconds',
      help: 'HTTP duration of delivery attempts',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    deliveriesFinished: new client.Counter({
      name: 'hookflow_deliveries_total',
      help: 'Deliveries that reached a final status, by status and profile',
      labelNames: ['status', 'profile'],
      registers: [registry],
    }),
    publishToFirstAttempt: new client.Histogram({
      name: 'hookflow_publish_to_first_attempt_seconds',
      help: 'Time from event publish to the end of the first delivery attempt',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    webhooks: new client.Gauge({
      name: 'hookflow_webhooks',
      help: 'Webhooks by status (all workspaces)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        if (!opts.webhookCounts) return;
        this.reset();
        for (const { status, count } of await opts.webhookCounts().catch(() => [])) this.set({ status }, count);
      },
    }),
    httpDuration: new client.Histogram({
      name: 'hookflow_api_request_duration_seconds',
      help: 'API request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** The process's metrics, with the webhook gauge read from this database. */
export const createDbMetrics = (db: Db, dispatchBacklog?: () => number): Metrics =>
  createMetrics({ webhookCounts: () => countWebhooksByStatus(db), dispatchBacklog });

/** The worker's per-attempt callback: counters, histograms and one log line per attempt. */
export function attemptRecorder(metrics: Metrics, log: Logger): NonNullable<AttemptDeps['onAttempt']> {
  return (a) => {
    metrics.attempts.inc({ status: a.status, error_class: a.errorClass ?? 'none', profile: a.profile });
    metrics.attemptDuration.observe(a.durationMs / 1000);
    if (a.final) metrics.deliveriesFinished.inc({ status: a.status, profile: a.profile });
    if (a.sincePublishMs !== null) metrics.publishToFirstAttempt.observe(a.sincePublishMs / 1000);
    log.info({ deliveryId: a.deliveryId, status: a.status, errorClass: a.errorClass, ms: a.durationMs }, 'attempt');
  };
}
