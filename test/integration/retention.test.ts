import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/knex';
import { newId } from '../../src/domain/ids';
import { ensureRetentionSchedule, setNamespaceRetention } from '../../src/temporal/retention';
import { retentionScheduleId } from '../../workflows/definitions';
import { api, givenWorkspace, useStack } from '../helpers/stack';

const stack = useStack({ HOOKFLOW_RETENTION_DAYS: '30' });

afterAll(async () => {
  await ensureRetentionSchedule(stack.client, { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, retentionDays: 0 });
});

/** `count` events created `daysAgo` days ago, each with one delivery of `status` and two attempts, in one statement. */
async function givenOldEvents(
  db: Db,
  o: { workspaceId: string; webhookId: string; count: number; daysAgo: number; status?: string },
): Promise<string[]> {
  const rows = await db.raw(
    `WITH e AS (
       INSERT INTO events (id, workspace_id, type, payload, created_at, dispatched_at)
       SELECT 'evt_' || md5(random()::text || g), :ws, 'task.created', '{"n":1}', now() - make_interval(days => :days), now() - make_interval(days => :days)
         FROM generate_series(1, :count) g
       RETURNING id, created_at
     ), d AS (
       INSERT INTO deliveries (id, workspace_id, event_id, webhook_id, event_type, status, attempts, workflow_id, created_at)
       SELECT 'dlv_' || md5(e.id), :ws, e.id, :wh, 'task.created', :status, 2, 'delivery:' || e.id, e.created_at FROM e
       RETURNING id, created_at
     ), a AS (
       INSERT INTO delivery_attempts (id, delivery_id, attempt_no, started_at, duration_ms, response_code)
       SELECT 'att_' || md5(d.id || n), d.id, n, d.created_at, 5, 500 FROM d, generate_series(1, 2) n
     )
     SELECT id FROM e`,
    { ws: o.workspaceId, wh: o.webhookId, count: o.count, days: o.daysAgo, status: o.status ?? 'failed' },
  );
  return rows.rows.map((r: { id: string }) => r.id);
}

/** Triggers the Schedule now and waits for the workflow it started. */
async function runSchedule(): Promise<Record<string, number>> {
  const handle = stack.client.schedule.getHandle(retentionScheduleId(stack.config.TEMPORAL_TASK_QUEUE));
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const actions = (await handle.describe()).info.recentActions;
    if (actions.length > before) return stack.client.workflow.getHandle(actions[actions.length - 1].action.workflow.workflowId).result();
    if (Date.now() > deadline) throw new Error('the schedule did not start the retention workflow');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('retention', () => {
  it('purges events, deliveries, attempts, notifications and idempotency keys past the retention, and keeps the rest', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const wh = (
      await api(stack.url, key).post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['task.created'], status: 'inactive' })
    ).body;
    const old = await givenOldEvents(stack.db, { workspaceId, webhookId: wh.id, count: 3, daysAgo: 31 });
    const recent = await givenOldEvents(stack.db, { workspaceId, webhookId: wh.id, count: 2, daysAgo: 29 });
    const inFlight = await givenOldEvents(stack.db, { workspaceId, webhookId: wh.id, count: 1, daysAgo: 40, status: 'retrying' });
    const oldNotification = newId('ntf');
    const newNotification = newId('ntf');
    await stack.db('notifications').insert([
      {
        id: oldNotification,
        workspace_id: workspaceId,
        webhook_id: wh.id,
        kind: 'endpoint.failing',
        payload: '{}',
        created_at: stack.db.raw("now() - interval '31 days'"),
      },
      { id: newNotification, workspace_id: workspaceId, webhook_id: wh.id, kind: 'endpoint.failing', payload: '{}' },
    ]);
    await stack.db('idempotency_keys').insert([
      {
        workspace_id: workspaceId,
        route: 'POST /v1/webhooks',
        key: 'old',
        request_hash: 'x',
        created_at: stack.db.raw("now() - interval '25 hours'"),
      },
      { workspace_id: workspaceId, route: 'POST /v1/webhooks', key: 'new', request_hash: 'x' },
    ]);

    const result = await runSchedule();
    expect(result).toMatchObject({ events: 3, deliveries: 3, attempts: 6, notifications: 1, idempotencyKeys: 1 });

    const ids = async (table: string, column = 'id') => (await stack.db(table).where({ workspace_id: workspaceId }).pluck(column)).sort();
    expect(await ids('events')).toEqual([...recent, ...inFlight].sort());
    expect(await stack.db('deliveries').whereIn('event_id', old).count('* as n')).toEqual([{ n: '0' }]);
    expect(
      await stack
        .db('delivery_attempts')
        .whereIn('delivery_id', stack.db('deliveries').select('id').where({ workspace_id: workspaceId }))
        .count('* as n'),
    ).toEqual([{ n: '6' }]);
    expect(await ids('notifications')).toEqual([newNotification]);
    expect(await ids('idempotency_keys', 'key')).toEqual(['new']);
  });

  it('sets the namespace retention of the Temporal server it runs to the same number of days', async () => {
    await setNamespaceRetention(stack.client, stack.config.TEMPORAL_NAMESPACE, 30);
    const ns = await stack.client.workflowService.describeNamespace({ namespace: stack.config.TEMPORAL_NAMESPACE });
    expect(Number(ns.config!.workflowExecutionRetentionTtl!.seconds)).toBe(30 * 86_400);
  });

  it('measures the purge rate on 20,000 back-dated events (60,000 dependent rows)', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const wh = (
      await api(stack.url, key).post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['task.created'], status: 'inactive' })
    ).body;
    await givenOldEvents(stack.db, { workspaceId, webhookId: wh.id, count: 20_000, daysAgo: 60 });
    const result = await runSchedule();
    expect(result).toMatchObject({ events: 20_000, deliveries: 20_000, attempts: 40_000 });
    const rows = result.events + result.deliveries + result.attempts;
    console.log(
      `retention purge: ${result.events} events, ${rows} rows in ${result.ms} ms = ${Math.round((result.events * 1000) / result.ms)} events/s, ${Math.round((rows * 1000) / result.ms)} rows/s (${result.passes} passes, batches of 500)`,
    );
    expect(await stack.db('events').where({ workspace_id: workspaceId }).count('* as n')).toEqual([{ n: '0' }]);
  }, 120_000);
});
