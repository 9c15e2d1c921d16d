import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventIdOf, eventually, sentinelDelivered, workflowClosed } from '../helpers/wait';
import { givenReceiver, type Received } from '../helpers/receiver';

const stack = useStack();

/** A Standard Webhooks verifier from the `standardwebhooks` package, not our signing code. */
const verifierFor = (secret: string) => (r: Received) => {
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
};

async function givenWebhook(client: ReturnType<typeof api>, body: Record<string, unknown>) {
  const res = await client.post('/v1/webhooks', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
}

describe('delivery end to end', () => {
  it('delivers a published event as a POST that standardwebhooks verifies', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    let secret = '';
    const receiver = await givenReceiver({ verify: (r) => verifierFor(secret)(r) });
    const wh = await givenWebhook(c, { url: receiver.url, events: ['task.created'], name: 'e2e' });
    secret = wh.secret;
    expect(secret).toMatch(/^whsec_/);

    const published = await c.post('/v1/events', { type: 'task.created', data: { id: 'task_1', name: 'Design' } });
    expect(published.status).toBe(202);
    const [req] = await receiver.waitFor(1, 5000);
    expect(receiver.verifyErrors).toEqual([]);
    expect(req.method).toBe('POST');
    const envelope = JSON.parse(req.body);
    expect(envelope).toMatchObject({ id: published.body.id, type: 'task.created', data: { id: 'task_1', name: 'Design' } });
    expect(req.headers['webhook-id']).toBe(published.body.deliveries[0].id);

    const delivery = await eventually(async () => {
      const d = await c.get(`/v1/deliveries/${published.body.deliveries[0].id}`);
      return d.body.status === 'success' ? d.body : null;
    });
    expect(delivery.attempt_log).toHaveLength(1);
    expect(delivery.attempt_log[0]).toMatchObject({ attempt_no: 1, response_code: 200, trigger: 'scheduled' });
    await receiver.close();
  });

  it('retries 500, 500, 200 on the schedule and ends success with three attempts', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver({ replies: [500, 500, 200] });
    const wh = await givenWebhook(c, { url: receiver.url, events: ['task.*'], retry_policy: { schedule: ['1s', '2s'] } });
    const published = await c.post('/v1/events', { type: 'task.updated', data: { n: 1 } });
    const reqs = await receiver.waitFor(3, 15_000);
    // The same delivery id on every attempt, so receivers can de-duplicate.
    expect(new Set(reqs.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(reqs[1].at - reqs[0].at).toBeGreaterThanOrEqual(900);
    expect(reqs[2].at - reqs[1].at).toBeGreaterThanOrEqual(1900);

    const id = published.body.deliveries[0].id;
    const d = await eventually(async () => {
      const r = await c.get(`/v1/deliveries/${id}`);
      return r.body.status === 'success' ? r.body : null;
    });
    expect(d.attempt_log.map((a: { response_code: number }) => a.response_code)).toEqual([500, 500, 200]);
    expect(d.attempt_log.map((a: { error_class: string | null }) => a.error_class)).toEqual(['http_status', 'http_status', null]);

    const list = await c.get(`/v1/webhooks/${wh.id}/deliveries`);
    expect(list.body.data).toEqual([
      {
        id,
        event: 'task.updated',
        timestamp: expect.any(String),
        status: 'success',
        response_code: 200,
        response_time_ms: expect.any(Number),
      },
    ]);
    await receiver.close();
  });

  it('returns the same event for a repeated Idempotency-Key and starts nothing new', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver();
    const wh = await givenWebhook(c, { url: receiver.url, events: ['*'] });
    const headers = { 'idempotency-key': 'order-42' };
    const first = await c.post('/v1/events', { type: 'order.paid', data: { order: 42 } }, headers);
    const second = await c.post('/v1/events', { type: 'order.paid', data: { order: 42 } }, headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    // The one workflow closed and a later event arrived: a second start had every chance.
    expect(await workflowClosed(stack.client, `delivery:${first.body.id}:${wh.id}`)).toMatchObject({ status: 'COMPLETED' });
    await sentinelDelivered(c, receiver);
    expect(receiver.requests.map(eventIdOf).filter((id) => id === first.body.id)).toHaveLength(1);
    const [{ count }] = await stack.db('deliveries').where({ event_id: first.body.id }).count<{ count: string }[]>('* as count');
    expect(Number(count)).toBe(1);

    const conflict = await c.post('/v1/events', { type: 'order.paid', data: { order: 43 } }, headers);
    expect(conflict.status).toBe(422);
    await receiver.close();
  });

  it('fans one event out to the three subscribed webhooks only', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receivers = await Promise.all([givenReceiver(), givenReceiver(), givenReceiver(), givenReceiver()]);
    await givenWebhook(c, { url: receivers[0].url, events: ['project.created'] });
    await givenWebhook(c, { url: receivers[1].url, events: ['project.*'] });
    await givenWebhook(c, { url: receivers[2].url, events: ['*'] });
    await givenWebhook(c, { url: receivers[3].url, events: ['task.created', 'project.deleted'] });
    const published = await c.post('/v1/events', { type: 'project.created', data: {} });
    expect(published.body.deliveries).toHaveLength(3);
    await Promise.all(receivers.slice(0, 3).map((r) => r.waitFor(1)));
    // A later event the fourth webhook does subscribe to reaches it: the first one had its chance.
    const sentinel = await sentinelDelivered(c, receivers[3], 'task.created');
    expect(receivers[3].requests).toEqual([sentinel]);
    expect(receivers.slice(0, 3).map((r) => r.requests.filter((q) => eventIdOf(q) === published.body.id).length)).toEqual([1, 1, 1]);
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('keeps the secret out of the workflow history and sets the search attributes', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver({ replies: [500, 200] });
    const wh = await givenWebhook(c, { url: receiver.url, events: ['task.created'], retry_policy: { schedule: ['1s'] } });
    const published = await c.post('/v1/events', { type: 'task.created', data: { secretive: false } });
    await receiver.waitFor(2);
    const workflowId = `delivery:${published.body.id}:${wh.id}`;
    const handle = stack.client.workflow.getHandle(workflowId);
    await handle.result();
    const history = JSON.stringify(await handle.fetchHistory());
    const secretBytes = Buffer.from(wh.secret.slice('whsec_'.length), 'base64');
    for (const needle of [wh.secret, wh.secret.slice(6), secretBytes.toString('hex'), Buffer.from(wh.secret).toString('base64')]) {
      expect(history.includes(needle)).toBe(false);
    }
    const desc = await handle.describe();
    expect(desc.searchAttributes).toMatchObject({
      WebhookId: [wh.id],
      EventId: [published.body.id],
      EventType: ['task.created'],
      WorkspaceId: [workspaceId],
      DeliveryStatus: ['success'],
    });
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of stack.client.workflow.list({ query: `WebhookId = '${wh.id}' AND DeliveryStatus = 'success'` }))
          ids.push(w.workflowId);
        return ids.length ? ids : null;
      },
      10_000,
      'visibility',
    );
    expect(found).toEqual([workflowId]);
    await receiver.close();
  });
});
