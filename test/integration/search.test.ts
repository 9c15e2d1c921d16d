import { describe, expect, it } from 'vitest';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

const stack = useStack();

/** A workspace with a webhook that fails (retrying), one that succeeds, a test send and events of three types. */
async function givenHistory() {
  const { key } = await givenWorkspace(stack.db);
  const c = api(stack.url, key);
  const ok = await givenReceiver();
  const failing = await givenReceiver({ replies: [500] });
  const good = (await c.post('/v1/webhooks', { url: ok.url, events: ['*'] })).body;
  const bad = (await c.post('/v1/webhooks', { url: failing.url, events: ['task.*'], retry_policy: { schedule: ['1h'] } })).body;
  const created = (await c.post('/v1/events', { type: 'task.created', data: { n: 1 } }, { 'idempotency-key': 'k-1' })).body;
  const updated = (await c.post('/v1/events', { type: 'task.updated', data: { n: 2 } })).body;
  const project = (await c.post('/v1/events', { type: 'project.created', data: { n: 3 } })).body;
  const test = (await c.post(`/v1/webhooks/${good.id}/test`)).body;
  const badDeliveries = [created, updated].map((e) => e.deliveries.find((d: { webhook_id: string }) => d.webhook_id === bad.id).id);
  for (const id of badDeliveries)
    await eventually(async () => (await c.get(`/v1/deliveries/${id}`)).body.status === 'retrying', 15_000, 'retrying');
  await eventually(
    async () => (await c.get(`/v1/deliveries?webhook_id=${good.id}&status=success`)).body.data.length === 4,
    15_000,
    'successes',
  );
  return { c, good, bad, created, updated, project, test, badDeliveries, close: () => Promise.all([ok.close(), failing.close()]) };
}

describe('finding deliveries and events', () => {
  it('lists failures and tests together with several statuses, repeated or comma-separated', async () => {
    const h = await givenHistory();
    const ids = async (q: string) => (await h.c.get(`/v1/deliveries?${q}`)).body.data.map((d: { id: string }) => d.id);
    const expected = [...h.badDeliveries].sort().reverse();
    expect(await ids('status=failed&status=retrying')).toEqual(expected);
    expect(await ids('status=failed,retrying')).toEqual(expected);
    expect(await ids('status=failed,retrying&status=pending')).toEqual(expected);
    expect(await ids('is_test=true')).toEqual([h.test.delivery_id]);
    // Seed 000's log: failures and tests in one call.
    const both = (await h.c.get(`/v1/deliveries?status=retrying&status=success&webhook_id=${h.good.id}&is_test=true`)).body.data;
    expect(both.map((d: { id: string; is_test: boolean }) => [d.id, d.is_test])).toEqual([[h.test.delivery_id, true]]);
    expect((await h.c.get('/v1/deliveries?status=bogus')).status).toBe(400);
    await h.close();
  });

  it('filters by event type (exact or prefix), event id and time range, on the webhook log too', async () => {
    const h = await givenHistory();
    const types = async (q: string) =>
      (await h.c.get(`/v1/deliveries?is_test=false&${q}`)).body.data.map((d: { event: string }) => d.event);
    expect(await types('event_type=task.*')).toEqual(['task.updated', 'task.updated', 'task.created', 'task.created']);
    expect(await types('event_type=task.created')).toEqual(['task.created', 'task.created']);
    expect(await types(`event_id=${h.project.id}`)).toEqual(['project.created']);
    const at = (e: { created_at: string }) => new Date(e.created_at).getTime();
    const since = new Date(at(h.updated)).toISOString();
    const until = new Date(at(h.project)).toISOString();
    expect((await types(`since=${since}&until=${until}`)).every((t: string) => t === 'task.updated')).toBe(true);
    const log = (await h.c.get(`/v1/webhooks/${h.bad.id}/deliveries?status=retrying&event_type=task.updated`)).body.data;
    // The webhook log keeps seed 002's item shape.
    expect(log).toEqual([
      {
        id: h.badDeliveries[1],
        event: 'task.updated',
        timestamp: expect.any(String),
        status: 'retrying',
        response_code: 500,
        response_time_ms: expect.any(Number),
      },
    ]);
    await h.close();
  });

  it('keeps cursor pages stable while deliveries are being inserted', async () => {
    const h = await givenHistory();
    const before = (await h.c.get('/v1/deliveries?limit=100')).body.data.map((d: { id: string }) => d.id);
    const first = (await h.c.get('/v1/deliveries?limit=2')).body;
    // New deliveries arrive between the pages.
    await h.c.post('/v1/events', { type: 'task.created', data: { late: true } });
    const seen: string[] = first.data.map((d: { id: string }) => d.id);
    let cursor = first.next_cursor;
    while (cursor) {
      const next = (await h.c.get(`/v1/deliveries?limit=2&cursor=${cursor}`)).body;
      seen.push(...next.data.map((d: { id: string }) => d.id));
      cursor = next.next_cursor;
    }
    // Every delivery that existed when paging began, once each, in order; none of the new ones.
    expect(seen).toEqual(before);
    expect(seen).toHaveLength(6); // 3 events × 2 webhooks, minus project.created to the failing one, plus the test
    await h.close();
  });

  it('lists events newest first with delivery counts by status, by type, time and Idempotency-Key', async () => {
    const h = await givenHistory();
    const list = (await h.c.get('/v1/events')).body.data;
    expect(list.map((e: { id: string }) => e.id)).toEqual([h.project.id, h.updated.id, h.created.id]); // the test send is not an event of yours
    expect(list[2]).toEqual({
      id: h.created.id,
      type: 'task.created',
      created_at: h.created.created_at,
      idempotency_key: 'k-1',
      delivery_counts: { success: 1, retrying: 1 },
    });
    expect(list[0].delivery_counts).toEqual({ success: 1 });
    expect((await h.c.get('/v1/events?type=task.*')).body.data.map((e: { type: string }) => e.type)).toEqual([
      'task.updated',
      'task.created',
    ]);
    expect((await h.c.get('/v1/events?idempotency_key=k-1')).body.data.map((e: { id: string }) => e.id)).toEqual([h.created.id]);
    expect(
      (await h.c.get(`/v1/events?since=${h.updated.created_at}&until=${h.project.created_at}`)).body.data.map((e: { id: string }) => e.id),
    ).toEqual([h.updated.id]);
    const page1 = (await h.c.get('/v1/events?limit=2')).body;
    const page2 = (await h.c.get(`/v1/events?limit=2&cursor=${page1.next_cursor}`)).body;
    expect([...page1.data, ...page2.data].map((e: { id: string }) => e.id)).toEqual(list.map((e: { id: string }) => e.id));
    expect((await h.c.get('/v1/events?since=not-a-date')).status).toBe(400);
    await h.close();
  });

  it('says how many webhooks are active of the workspace limit', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/a', events: ['*'] });
    await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/b', events: ['*'], status: 'inactive' });
    const list = (await c.get('/v1/webhooks?limit=1')).body;
    expect(list).toMatchObject({ active_count: 1, active_limit: 25 });
    expect(list.data).toHaveLength(1);
  });
});
