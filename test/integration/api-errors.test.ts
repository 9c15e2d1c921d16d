import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, givenStack, givenWorkspace, type Stack } from '../helpers/stack';

let stack: Stack;
let c: ReturnType<typeof api>;
beforeAll(async () => {
  stack = await givenStack({}, { roles: ['api'] });
  c = api(stack.url, (await givenWorkspace(stack.db)).key);
});
afterAll(async () => {
  await stack?.stop();
});

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules/); // no stack traces
};

describe('API errors are problem+json with the right status', () => {
  it.each([
    ['an invalid URL', { url: 'not a url', events: ['a.b'] }, 'body.url'],
    ['an ftp URL', { url: 'ftp://example.com/x', events: ['a.b'] }, 'body.url'],
    ['a private address', { url: 'http://10.0.0.1/hook', events: ['a.b'] }, 'body.url'],
    ['the metadata address', { url: 'http://169.254.169.254/latest', events: ['a.b'] }, 'body.url'],
    ['empty events', { url: 'https://example.com/h', events: [] }, 'body.events'],
    ['a malformed event pattern', { url: 'https://example.com/h', events: ['task.*.x'] }, 'body.events.0'],
    ['an unknown field', { url: 'https://example.com/h', events: ['a'], colour: 'red' }, 'body'],
    ['a too-short secret', { url: 'https://example.com/h', events: ['a'], secret: 'short' }, 'body.secret'],
    ['a timeout over 60 s', { url: 'https://example.com/h', events: ['a'], timeout_ms: 120000 }, 'body.timeout_ms'],
    [
      'an empty retry schedule',
      { url: 'https://example.com/h', events: ['a'], retry_policy: { schedule: [] } },
      'body.retry_policy.schedule',
    ],
    [
      'a retry delay over 30 days',
      { url: 'https://example.com/h', events: ['a'], retry_policy: { schedule: ['31d'] } },
      'body.retry_policy.schedule.0',
    ],
    [
      'a negative retry delay',
      { url: 'https://example.com/h', events: ['a'], retry_policy: { schedule: [-5] } },
      'body.retry_policy.schedule.0',
    ],
    [
      'a reserved custom header',
      { url: 'https://example.com/h', events: ['a'], custom_headers: { 'webhook-signature': 'x' } },
      'body.custom_headers.webhook-signature',
    ],
  ])('rejects a webhook with %s (422 naming %s)', async (_what, body, path) => {
    const res = await c.post('/v1/webhooks', body);
    expectProblem(res, 422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('answers malformed JSON with 400', async () => {
    expectProblem(await c.post('/v1/webhooks', '{"url": '), 400);
  });

  it('answers unknown and malformed ids with 404 / 400', async () => {
    expectProblem(await c.get('/v1/webhooks/wh_0000000000zzzzzzzzzzzzzzzz'), 404);
    expectProblem(await c.get('/v1/deliveries/dlv_0000000000zzzzzzzzzzzzzzzz'), 404);
    expectProblem(await c.get('/v1/events/evt_0000000000zzzzzzzzzzzzzzzz'), 404);
    expectProblem(await c.patch('/v1/webhooks/wh_0000000000zzzzzzzzzzzzzzzz', { name: 'x' }), 404);
    expectProblem(await c.delete('/v1/webhooks/wh_0000000000zzzzzzzzzzzzzzzz'), 404);
    expectProblem(await c.get('/v1/webhooks/nope'), 400);
    expectProblem(await c.get('/v1/nothing-here'), 404);
  });

  it('answers a missing or wrong API key with 401', async () => {
    expectProblem(await api(stack.url, null).get('/v1/webhooks'), 401);
    expectProblem(await api(stack.url, 'hf_wrong').get('/v1/webhooks'), 401);
    expectProblem(await api(stack.url, null).post('/v1/events', { type: 'a.b', data: {} }), 401);
  });

  it('answers a key without the needed scope with 403', async () => {
    const { key } = await givenWorkspace(stack.db, ['webhooks:read']);
    expectProblem(await api(stack.url, key).post('/v1/events', { type: 'a.b', data: {} }), 403);
  });

  it('rejects bad events: 422 for shape, 413 for size, 400 for a bad Idempotency-Key', async () => {
    expectProblem(await c.post('/v1/events', { type: '', data: {} }), 422);
    expectProblem(await c.post('/v1/events', { type: 'a.b', data: 'str' }), 422);
    expectProblem(await c.post('/v1/events', { type: 'a.b', data: { big: 'x'.repeat(300 * 1024) } }), 413);
    expectProblem(await c.post('/v1/events', { type: 'a.b', data: {} }, { 'idempotency-key': 'k'.repeat(300) }), 400);
  });

  it('keeps tenants apart: another workspace gets 404 for this one’s webhook', async () => {
    const created = await c.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a.b'] });
    expect(created.status).toBe(201);
    const other = api(stack.url, (await givenWorkspace(stack.db)).key);
    expectProblem(await other.get(`/v1/webhooks/${created.body.id}`), 404);
    expectProblem(await other.get(`/v1/webhooks/${created.body.id}/deliveries`), 404);
    expect((await other.get('/v1/webhooks')).body.data).toEqual([]);
  });

  it('pages webhooks newest first with an opaque cursor', async () => {
    const k = api(stack.url, (await givenWorkspace(stack.db)).key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await k.post('/v1/webhooks', { url: `https://example.com/${i}`, events: ['a'] })).body.id);
    const p1 = await k.get('/v1/webhooks?limit=2');
    const p2 = await k.get(`/v1/webhooks?limit=2&cursor=${p1.body.next_cursor}`);
    const p3 = await k.get(`/v1/webhooks?limit=2&cursor=${p2.body.next_cursor}`);
    expect([...p1.body.data, ...p2.body.data, ...p3.body.data].map((w: { id: string }) => w.id)).toEqual(ids.reverse());
    expect(p3.body.next_cursor).toBeNull();
    expectProblem(await k.get('/v1/webhooks?limit=500'), 400);
  });

  it('enforces the active webhook limit with 409', async () => {
    const limited = await givenStack({ HOOKFLOW_MAX_WEBHOOKS: '2' }, { roles: ['api'] });
    try {
      const k = api(limited.url, (await givenWorkspace(limited.db)).key);
      for (let i = 0; i < 2; i++) expect((await k.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a'] })).status).toBe(201);
      const third = await k.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a'] });
      expectProblem(third, 409);
      expect(third.body.detail).toMatch(/limit 2/);
    } finally {
      await limited.stop();
    }
  });
});
