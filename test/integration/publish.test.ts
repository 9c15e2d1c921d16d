import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded';
import { Dispatcher } from '../../src/services/dispatcher';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { startDevServer } from '../../src/temporal/dev-server';
import { givenReceiver } from '../helpers/receiver';
import { api, givenApi, givenWorkspace, useStack } from '../helpers/stack';
import { eventually, workflowClosed } from '../helpers/wait';

const adminKey = `hf_${randomBytes(18).toString('base64url')}`;
const stack = useStack({ HOOKFLOW_BOOTSTRAP_API_KEY: adminKey });

const priorityOf = async (workflowId: string) =>
  (await stack.client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.priority;

/** A raw `POST /v1/events` of a task.created event (status and headers are the test's to read). */
const publishTo = (base: string, key: string, data: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ type: 'task.created', data }),
    signal: AbortSignal.timeout(10_000),
  });

describe('publish', () => {
  it('answers 202 while Temporal does not answer, and 503 with Retry-After past the dispatch backlog, storing nothing; the accepted events start once Temporal is back', async () => {
    // A Temporal of its own, frozen with SIGSTOP: its connection stays open, no call is answered.
    const dev = await startDevServer({ cli: resolveTemporalCli(), dataDir: null, port: await freePort(), uiPort: null });
    const connection = await Connection.connect({ address: dev.address });
    const client = new Client({ connection });
    const dispatcher = new Dispatcher({ ...stack.deps.dispatch, client, eager: false, taskQueue: 'frozen' }, { maxBacklog: 2 });
    const config = { ...stack.deps.config, HOOKFLOW_MAX_DISPATCH_BACKLOG: 2 };
    const app = await givenApi({ ...stack.deps, config, dispatcher });
    let frozen = false;
    try {
      const { key, workspaceId } = await givenWorkspace(stack.db);
      const c = api(app.url, key);
      expect((await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'] })).status).toBe(201);
      process.kill(dev.process.pid!, 'SIGSTOP');
      frozen = true;

      // A hang (the defect this guards) shows as the abort, not as the test's timeout.
      const publish = (n: number, headers: Record<string, string> = {}) => publishTo(app.url, key, { n }, headers);
      const first = await publish(1, { 'idempotency-key': 'first' });
      const second = await publish(2);
      expect([first.status, second.status]).toEqual([202, 202]);
      expect(dispatcher.backlog).toBe(2);

      const refused = await publish(3, { 'idempotency-key': 'third' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/HOOKFLOW_MAX_DISPATCH_BACKLOG=2/) });
      // The same key answers the stored event even now; the refused event was never stored.
      const replayed = await publish(1, { 'idempotency-key': 'first' });
      expect(replayed.status).toBe(202);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      const stored = await stack
        .db('events')
        .where({ workspace_id: workspaceId })
        .orderBy('created_at')
        .select('id', 'idempotency_key', 'dispatched_at');
      expect(stored.map((e) => e.idempotency_key)).toEqual(['first', null]);
      expect(stored.every((e) => e.dispatched_at === null)).toBe(true);

      process.kill(dev.process.pid!, 'SIGCONT');
      frozen = false;
      // Nothing lost: both accepted events get their workflow and their dispatched mark.
      await eventually(
        async () =>
          (await stack.db('events').where({ workspace_id: workspaceId }).whereNull('dispatched_at').count<{ n: string }[]>('* as n'))[0]
            .n === '0',
        30_000,
        'events dispatched',
      );
      const workflows = await stack.db('deliveries').where({ workspace_id: workspaceId }).pluck('workflow_id');
      expect(workflows).toHaveLength(2);
      for (const id of workflows) expect((await client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
      expect(dispatcher.backlog).toBe(0);
      expect((await publish(4)).status).toBe(202);
    } finally {
      if (frozen) process.kill(dev.process.pid!, 'SIGCONT');
      await app.close();
      await dispatcher.stop();
      await connection.close();
      await dev.stop();
    }
  }, 90_000);

  it('concurrent publishes share their statement, yet each is answered on its own: a bad one fails alone, one Idempotency-Key stores one event', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver();
    try {
      const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
      expect((await c.post('/v1/event-types', { name: 'task.created', schema })).status).toBe(201);
      expect((await c.post('/v1/webhooks', { url: receiver.url, events: ['task.*'] })).status).toBe(201);
      const publish = (data: unknown, headers: Record<string, string> = {}) => publishTo(stack.url, key, data, headers);
      const good = Array.from({ length: 30 }, (_, n) => publish({ n }));
      const bad = Array.from({ length: 3 }, (_, n) => publish({ n: `not a number ${n}` }));
      const same = Array.from({ length: 5 }, () => publish({ n: 99 }, { 'idempotency-key': 'same' }));
      const [g, b, k] = await Promise.all([Promise.all(good), Promise.all(bad), Promise.all(same)]);
      expect(g.map((r) => r.status)).toEqual(g.map(() => 202));
      expect(b.map((r) => r.status)).toEqual([422, 422, 422]);
      expect(k.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
      expect(k.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
      expect(new Set(await Promise.all(k.map(async (r) => ((await r.json()) as { id: string }).id))).size).toBe(1);

      const stored = await stack.db('events').where({ workspace_id: workspaceId }).select('created_at');
      expect(stored).toHaveLength(31);
      // Events of one statement share its transaction's timestamp: fewer timestamps than events.
      const statements = new Set(stored.map((e) => (e.created_at as Date).getTime())).size;
      console.log(`31 concurrent events stored by ${statements} statements`);
      expect(statements).toBeLessThan(31);
      // Every stored event has its delivery, and each arrives.
      expect((await stack.db('deliveries').where({ workspace_id: workspaceId }).count<{ n: string }[]>('* as n'))[0].n).toBe('31');
      await receiver.waitFor(31);
    } finally {
      await receiver.close();
    }
  });

  it('starts each delivery with its workspace as fairness key and weight, tests and manual retries first, bulk replays last', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    // A paid tier: an admin key sets the workspace's weight (Temporal's range only).
    const admin = api(stack.url, adminKey);
    expect((await admin.patch(`/v1/workspaces/${workspaceId}`, { fairness_weight: 1001 })).status).toBe(422);
    expect((await admin.patch(`/v1/workspaces/${workspaceId}`, { fairness_weight: 2.5 })).body).toMatchObject({ fairness_weight: 2.5 });
    const c = api(stack.url, key);
    const receiver = await givenReceiver();
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'] })).body;
    const fair = { fairnessKey: workspaceId, fairnessWeight: 2.5 };
    try {
      const ev = (await c.post('/v1/events', { type: 'task.created', data: {} })).body;
      const workflowId = `delivery:${ev.id}:${wh.id}`;
      // Started by the dispatcher after the 202.
      await receiver.waitFor(1);
      expect((await workflowClosed(stack.client, workflowId)).status).toBe('COMPLETED');
      expect(await priorityOf(workflowId)).toMatchObject({ priorityKey: 3, ...fair });

      // One delivery's retry: someone is waiting on it.
      const deliveryId = ev.deliveries[0].id;
      expect((await c.post(`/v1/deliveries/${deliveryId}/retry`)).body).toMatchObject({ action: 'restarted' });
      expect(await priorityOf(workflowId)).toMatchObject({ priorityKey: 1, ...fair });
      await receiver.waitFor(2);

      const test = (await c.post(`/v1/webhooks/${wh.id}/test`)).body;
      expect(await priorityOf(`test:${test.delivery_id}`)).toMatchObject({ priorityKey: 1, ...fair });

      // A bulk replay of a time range goes after new events.
      await workflowClosed(stack.client, workflowId);
      await stack.db('deliveries').where({ id: deliveryId }).update({ status: 'failed' });
      const replay = await c.post(`/v1/webhooks/${wh.id}/replay`, { since: new Date(Date.now() - 3_600_000).toISOString() });
      expect(replay.body).toEqual({ queued: 1 });
      expect(await priorityOf(workflowId)).toMatchObject({ priorityKey: 5, ...fair });
    } finally {
      await receiver.close();
    }
  });

  it('schedules the attempt of a retry-now signal ahead of the backlog, in its workspace', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver({ replies: [500, 200] });
    try {
      const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1h'] } })).body;
      const ev = (await c.post('/v1/events', { type: 'task.created', data: {} })).body;
      const deliveryId = ev.deliveries[0].id;
      await eventually(async () => (await c.get(`/v1/deliveries/${deliveryId}`)).body.status === 'retrying', 15_000, 'retrying');
      expect((await c.post(`/v1/deliveries/${deliveryId}/retry`)).body).toMatchObject({ action: 'signalled' });
      const workflowId = `delivery:${ev.id}:${wh.id}`;
      expect((await workflowClosed(stack.client, workflowId)).status).toBe('COMPLETED');
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      // The first attempt ran as a local activity; the signalled one is the only scheduled task.
      const scheduled = history.events!.flatMap((e) =>
        e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : [],
      );
      expect(scheduled).toHaveLength(1);
      expect(scheduled[0].priority).toMatchObject({ priorityKey: 1 });
      expect(await priorityOf(workflowId)).toMatchObject({ priorityKey: 3, fairnessKey: workspaceId });
    } finally {
      await receiver.close();
    }
  });
});
