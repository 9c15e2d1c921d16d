import { WorkflowNotFoundError } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventIdOf, eventually, sentinelDelivered } from '../helpers/wait';

const stack = useStack();

async function givenClient() {
  return api(stack.url, (await givenWorkspace(stack.db)).key);
}

describe('content filters', () => {
  it('refuses an invalid filter with 422 naming each problem by its path', async () => {
    const c = await givenClient();
    const r = await c.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/h',
      events: ['*'],
      filter: { amount: { $gt: '100' }, status: { $regex: 'x' } },
    });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      { path: 'body.filter.amount.$gt', message: '$gt compares numbers only; got "100"' },
      { path: 'body.filter.status.$regex', message: expect.stringMatching(/^unknown operator \$regex; supported: \$eq, \$in, \$exists/) },
    ]);
    const wh = (await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/h', events: ['*'], status: 'inactive' })).body;
    const patched = await c.patch(`/v1/webhooks/${wh.id}`, { filter: {} });
    expect(patched.status).toBe(422);
    expect(patched.body.errors[0]).toMatchObject({ path: 'body.filter', message: expect.stringMatching(/at least one condition/) });
  });

  it('delivers only the events whose data matches; others make no delivery; removing the filter delivers all', async () => {
    const c = await givenClient();
    const receiver = await givenReceiver();
    const filter = { 'project.id': { $in: [7, 8] }, amount: { $gte: 100 }, status: 'done' };
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['task.*', 'sentinel.*'], filter })).body;
    expect(wh.filter).toEqual(filter);
    const matching = await c.post('/v1/events', { type: 'task.done', data: { project: { id: 7 }, amount: 150, status: 'done' } });
    const cheap = await c.post('/v1/events', { type: 'task.done', data: { project: { id: 7 }, amount: 50, status: 'done' } });
    const otherProject = await c.post('/v1/events', { type: 'task.done', data: { project: { id: 9 }, amount: 500, status: 'done' } });
    expect(matching.body.deliveries).toHaveLength(1);
    expect(cheap.body.deliveries).toEqual([]);
    expect(otherProject.body.deliveries).toEqual([]);
    expect((await c.get(`/v1/events/${cheap.body.id}`)).body.deliveries).toEqual([]);

    expect((await c.patch(`/v1/webhooks/${wh.id}`, { filter: null })).body.filter).toBeNull();
    // The matching event first (deliveries run concurrently, so the sentinel alone is no proof it came).
    await eventually(async () => receiver.requests.some((r) => eventIdOf(r) === matching.body.id), 15_000, 'the matching event delivered');
    const sentinel = await sentinelDelivered(c, receiver);
    // Deliveries run concurrently: compare as sets.
    const delivered = receiver.requests.map(eventIdOf).sort();
    expect(delivered).toEqual([matching.body.id, eventIdOf(sentinel)].sort());
    await receiver.close();
  });
});

describe('rate limits and profiles on create', () => {
  it('validates rate_limit_per_s and shows it', async () => {
    const c = await givenClient();
    expect((await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/h', events: ['*'], rate_limit_per_s: 0 })).status).toBe(422);
    const wh = await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/h', events: ['*'], rate_limit_per_s: 5, status: 'inactive' });
    expect(wh.body.rate_limit_per_s).toBe(5);
    expect((await c.patch(`/v1/webhooks/${wh.body.id}`, { rate_limit_per_s: null })).body.rate_limit_per_s).toBeNull();
  });

  it("answers seed 002's own example with 422 naming the generic profile, and accepts it with that profile", async () => {
    const c = await givenClient();
    const seed = { url: 'http://127.0.0.1:9/webhooks', events: ['task.created'], secret: 'your_webhook_secret' };
    const refused = await c.post('/v1/webhooks', seed);
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('"profile": "generic"');
    expect((await c.post('/v1/webhooks', { ...seed, profile: 'generic' })).status).toBe(201);
  });
});

describe('events published while a webhook is disabled', () => {
  it('are recorded as skipped without a workflow, and recover sends them after re-enabling', async () => {
    const c = await givenClient();
    const receiver = await givenReceiver();
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'] })).body;
    const since = new Date(Date.now() - 1000).toISOString();
    await c.post(`/v1/webhooks/${wh.id}/disable`);
    const published = [];
    for (let i = 0; i < 2; i++) published.push((await c.post('/v1/events', { type: 'task.created', data: { i } })).body);
    for (const ev of published) expect(ev.deliveries).toEqual([expect.objectContaining({ webhook_id: wh.id, status: 'skipped' })]);
    const skipped = published.map((ev) => ev.deliveries[0].id as string);
    // No workflow was started for them.
    const wfErr = await stack.client.workflow
      .getHandle(`delivery:${published[0].id}:${wh.id}`)
      .describe()
      .catch((e) => e);
    expect(wfErr).toBeInstanceOf(WorkflowNotFoundError);
    expect((await c.get(`/v1/webhooks/${wh.id}/deliveries?status=skipped`)).body.data.map((d: { id: string }) => d.id).sort()).toEqual(
      [...skipped].sort(),
    );

    expect((await c.post(`/v1/webhooks/${wh.id}/recover`, { since })).status).toBe(409);
    await c.post(`/v1/webhooks/${wh.id}/enable`);
    const recovered = await c.post(`/v1/webhooks/${wh.id}/recover`, { since });
    expect(recovered.status).toBe(202);
    expect(recovered.body).toEqual({ queued: 2 });
    const requests = await receiver.waitFor(2);
    const verifier = new Webhook(wh.secret);
    for (const r of requests) verifier.verify(r.body, r.headers as Record<string, string>);
    expect(requests.map(eventIdOf).sort()).toEqual(published.map((e) => e.id).sort());
    for (const id of skipped) {
      const d = await eventually(async () => {
        const r = (await c.get(`/v1/deliveries/${id}`)).body;
        return r.status === 'success' ? r : null;
      });
      expect(d.attempt_log.map((a: { trigger: string }) => a.trigger)).toEqual(['recover']);
    }
    // Nothing left to recover.
    expect((await c.post(`/v1/webhooks/${wh.id}/recover`, { since })).body).toEqual({ queued: 0 });
    await receiver.close();
  });
});

describe('attempt request records', () => {
  it('shows what each attempt sent: URL, method, headers with the signature, the first 4 KiB of the body', async () => {
    const c = await givenClient();
    const receiver = await givenReceiver();
    const wh = (await c.post('/v1/webhooks', { url: `${receiver.url}/hook?x=1`, events: ['*'], custom_headers: { 'X-Tenant': 't1' } }))
      .body;
    const small = (await c.post('/v1/events', { type: 'task.created', data: { n: 1 } })).body;
    const large = (await c.post('/v1/events', { type: 'task.created', data: { text: 'x'.repeat(10_000) } })).body;
    await receiver.waitFor(2);
    const attemptOf = async (ev: { deliveries: { id: string }[] }) =>
      eventually(async () => (await c.get(`/v1/deliveries/${ev.deliveries[0].id}`)).body.attempt_log[0]);

    const a = await attemptOf(small);
    expect(a.request).toMatchObject({
      url: `${receiver.url}/hook?x=1`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Tenant': 't1' },
    });
    // Exactly what the receiver got: the recorded signature verifies the recorded body.
    const got = receiver.requests.find((r) => eventIdOf(r) === small.id)!;
    expect(a.request.body).toBe(got.body);
    expect(a.request.headers['webhook-signature']).toBe(got.headers['webhook-signature']);
    new Webhook(wh.secret).verify(a.request.body, a.request.headers);

    const b = await attemptOf(large);
    expect(b.request.body).toHaveLength(4096);
    expect(receiver.requests.find((r) => eventIdOf(r) === large.id)!.body.startsWith(b.request.body)).toBe(true);
    await receiver.close();
  });
});
