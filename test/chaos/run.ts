/**
 * The chaos run (entry point: main.ts, `npm run chaos`): Hookflow's first promise, measured. Starts PostgreSQL, Temporal, one API and
 * two worker processes separately; publishes events (each with an Idempotency-Key, re-sent on
 * failure) to three webhooks whose receivers answer 200, flap, or fail and then recover; kills
 * and restarts processes meanwhile; then drains and checks the books (see accounting.ts).
 * Loopback only; bounded in events and time.
 */
import { Connection, Client } from '@temporalio/client';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../src/db/knex';
import { FINAL_STATUSES } from '../../workflows/definitions';
import { account, type Report } from './accounting';
import { startCluster } from './cluster';
import { faultCount, injectFaults, type FaultPlan } from './faults';
import { startProducer } from './producer';
import { startReceiver, type Behaviour } from './receivers';
import { formatReport } from './report';

export interface ChaosOptions {
  events: number;
  /** Events per second the producer starts. */
  rate: number;
  plan: FaultPlan;
  seed: number;
  /** Keep the data dir (PostgreSQL, Temporal SQLite, process output) for a post-mortem. */
  keep?: boolean;
  /** Upper bound for the whole run; the drain gives up after what is left of it. */
  maxRunMs?: number;
  log?: (m: string) => void;
}

/** A small seeded PRNG (mulberry32): the same seed flaps the same requests in the same order. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEBHOOK_TIMEOUT_MS = 2000;
/** Short retries that never exhaust within a run: 1 s, 2 s, 4 s, then every 8 s, 30 attempts. */
const RETRY = { max_attempts: 30, retry_policy: { schedule: ['1s', '2s', '4s', '8s'], notify_after_consecutive_failures: 3 } };
const RECEIVERS: [string, Behaviour][] = [
  ['steady', 'ok'],
  ['flaky', 'flaky'],
  ['recovering', 'recovering'],
];

export async function runChaos(opts: ChaosOptions): Promise<{ report: Report; text: string }> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`chaos: ${m}\n`));
  const maxRunMs = opts.maxRunMs ?? 20 * 60_000;
  const started = Date.now();
  const hardDeadline = started + maxRunMs;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-chaos-'));
  const random = seeded(opts.seed);
  log(`data in ${dir}; ${opts.events} events at ${opts.rate}/s, seed ${opts.seed}`);

  const receivers = await Promise.all(RECEIVERS.map(([name, b]) => startReceiver(name, b, { timeoutMs: WEBHOOK_TIMEOUT_MS, random })));
  const cluster = await startCluster(dir, { workers: 2, log });
  const db = createDb(cluster.databaseUrl, { min: 0, max: 4 });
  try {
    const auth = { authorization: `Bearer ${cluster.apiKey}`, 'content-type': 'application/json' };
    const webhookIds: string[] = [];
    for (const r of receivers) {
      const res = await fetch(`${cluster.apiUrl}/v1/webhooks`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ url: r.url, name: r.name, events: ['chaos.*'], timeout_ms: WEBHOOK_TIMEOUT_MS, ...RETRY }),
      });
      const body = (await res.json()) as { id: string; secret: string };
      if (res.status !== 201) throw new Error(`creating webhook ${r.name}: ${res.status} ${JSON.stringify(body)}`);
      r.setSecret(body.secret);
      webhookIds.push(body.id);
    }

    const t0 = Date.now();
    // The producer is paced by the faults: an equal share of the events before, during and
    // after each one, so every fault meets publishing, however long recoveries take.
    const faults = faultCount(opts.plan);
    let injected = 0;
    let faultsDone = false;
    const share = opts.events / (faults + 1);
    const gapMs = Math.max(1000, (share / opts.rate) * 1000);
    const producer = startProducer({
      apiUrl: () => cluster.apiUrl,
      apiKey: cluster.apiKey,
      events: opts.events,
      rate: opts.rate,
      concurrency: 16,
      allowed: () => (faultsDone ? opts.events : Math.round(share * (injected + 1))),
      deadline: hardDeadline,
      runId: `chaos-${t0.toString(36)}`,
    });
    // The recovering receiver fails the first 40 % of the events' first attempts, then recovers.
    const recoverAt = setInterval(() => {
      if (producer.published.length < opts.events * 0.4) return;
      receivers[2].recover();
      log('receiver "recovering" now answers 200');
      clearInterval(recoverAt);
    }, 200);
    const progress = setInterval(() => {
      const accepted = producer.published.filter((p) => p.eventId).length;
      const ok = receivers.map((r) => `${r.name} ${[...r.seen.values()].filter((s) => s.ok > 0).length}`).join(', ');
      log(
        `t=${((Date.now() - t0) / 1000).toFixed(0)} s accepted ${accepted}/${opts.events}, publish errors ${producer.errors.length}; delivered: ${ok}`,
      );
    }, 5000);
    const timeline = await injectFaults(cluster, opts.plan, {
      gapMs,
      t0,
      log,
      stopped: () => Date.now() > hardDeadline,
      onInject: (n) => (injected = n),
    });
    faultsDone = true;
    await producer.done;
    clearInterval(recoverAt);
    receivers[2].recover();
    log(`publishing done after ${((Date.now() - t0) / 1000).toFixed(0)} s; draining`);

    // Drain: every delivery of every accepted event final, and Temporal agreeing nothing runs.
    const accepted = producer.published.filter((p) => p.eventId).map((p) => p.eventId!);
    const client = new Client({ connection: await Connection.connect({ address: cluster.temporalAddress }) });
    const running = async () => (await client.workflow.count(`ExecutionStatus = 'Running'`)).count;
    const drained = async () => {
      const [{ n, open }] = await db('deliveries')
        .whereIn('webhook_id', webhookIds)
        .select(
          db.raw('count(*)::int as n'),
          db.raw(`count(*) filter (where status not in (${FINAL_STATUSES.map(() => '?').join(',')}))::int as open`, FINAL_STATUSES),
        );
      return n >= accepted.length * webhookIds.length && open === 0 && (await running()) === 0;
    };
    while (Date.now() < hardDeadline && !(await drained().catch(() => false))) await new Promise((r) => setTimeout(r, 1000));
    clearInterval(progress);
    log(`drained after ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const rows = await db('deliveries as d')
      .whereIn('d.webhook_id', webhookIds)
      .select(
        'd.id',
        'd.event_id',
        'd.webhook_id',
        'd.status',
        db.raw('(select count(*)::int from delivery_attempts a where a.delivery_id = d.id) as recorded'),
      );
    const eventsInDb = new Set<string>((await db('events').whereIn('id', accepted).select('id')).map((e: { id: string }) => e.id));
    const notifications = (await db('notifications').whereIn('webhook_id', webhookIds).select('webhook_id', 'kind', 'payload')).map(
      (n: { webhook_id: string; kind: string; payload: { failing_since?: string } }) => ({
        webhook_id: n.webhook_id,
        kind: n.kind,
        streak: n.payload.failing_since ?? null,
      }),
    );
    const report = account({
      t0,
      published: producer.published,
      publishErrors: producer.errors,
      receivers: receivers.map((r, i) => ({
        name: r.name,
        webhookId: webhookIds[i],
        seen: r.seen,
        signatureFailures: r.signatureFailures,
      })),
      rows,
      eventsInDb,
      notifications,
      runningWorkflows: await running(),
      finalStatuses: FINAL_STATUSES,
      faults: timeline,
    });
    await client.connection.close();
    const text = formatReport(report, {
      durationMs: Date.now() - started,
      treatments: Object.fromEntries(receivers.map((r) => [r.name, r.treatments])),
    });
    return { report, text };
  } finally {
    await db.destroy();
    await cluster.stop();
    await Promise.all(receivers.map((r) => r.close()));
    if (opts.keep) log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}
