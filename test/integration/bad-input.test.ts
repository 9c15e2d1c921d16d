import { describe, expect, it } from 'vitest';
import { api, givenWorkspace, useStack } from '../helpers/stack';

const stack = useStack({}, { roles: ['api'] });

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String) });
};

/** `depth` objects nested inside each other, as raw JSON (JSON.stringify of it would throw). */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

// Each of these was a 500 (PostgreSQL refusing the value, or JSON.stringify overflowing).
describe('input PostgreSQL cannot store is a 4xx problem, never a 500', () => {
  const hook = { url: 'https://example.com/h', events: ['a.b'] };
  it.each([
    ['a NUL in event data', 'post', '/v1/events', { type: 'a.b', data: { note: 'a\u0000b' } }, 'body.data.note'],
    ['a lone surrogate in event data', 'post', '/v1/events', { type: 'a.b', data: { note: 'x\ud800' } }, 'body.data.note'],
    ['a NUL in an event data key', 'post', '/v1/events', { type: 'a.b', data: { 'k\u0000': 1 } }, 'body.data.k\u0000'],
    ['a lone surrogate deep in event data', 'post', '/v1/events', { type: 'a.b', data: { list: [{ x: '\udc00' }] } }, 'body.data.list.0.x'],
    ['a NUL in a webhook URL', 'post', '/v1/webhooks', { ...hook, url: 'https://example.com/\u0000' }, 'body.url'],
    ['a NUL in a webhook name', 'post', '/v1/webhooks', { ...hook, name: 'n\u0000' }, 'body.name'],
    [
      'a lone surrogate in a custom header value',
      'post',
      '/v1/webhooks',
      { ...hook, custom_headers: { 'x-team': '\ud800' } },
      'body.custom_headers.x-team',
    ],
    ['a NUL in the workspace name', 'patch', '/v1/workspace', { name: 'w\u0000' }, 'body.name'],
    ['a NUL in an event-type description', 'post', '/v1/event-types', { name: 'c.d', description: '\u0000' }, 'body.description'],
    [
      'a lone surrogate in an event-type schema',
      'post',
      '/v1/event-types',
      { name: 'c.e', schema: { title: '\ud800' } },
      'body.schema.title',
    ],
  ] as const)('answers %s with 422 naming the field', async (_what, method, path, body, field) => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const res = await c[method](path, body);
    expectProblem(res, 422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([field]);
  });

  it.each([
    ['a newline', 'a\r\nx-injected: 1'],
    ['a control character', 'a\u0001'],
    ['a character outside Latin-1', '5 €'],
  ])('refuses a custom header value with %s, which no attempt could send (422)', async (_what, value) => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const res = await c.post('/v1/webhooks', { ...hook, custom_headers: { 'x-note': value } });
    expectProblem(res, 422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.custom_headers.x-note']);
  });

  it('answers event data nested 4,500 levels deep with 422', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const res = await c.post('/v1/events', `{"type":"a.b","data":${nested(4500)}}`);
    expectProblem(res, 422);
    expect(res.body.detail).toMatch(/nested deeper than 64 levels/);
    // Ordinary nesting is fine.
    expect((await c.post('/v1/events', `{"type":"a.b","data":${nested(50)}}`)).status).toBe(202);
  });

  it.each(['/v1/webhooks', '/v1/notifications', '/v1/api-keys', '/v1/event-types'])(
    'answers ?cursor=AA (a cursor of NUL bytes) on %s with 400',
    async (path) => {
      const c = api(stack.url, (await givenWorkspace(stack.db)).key);
      const res = await c.get(`${path}?cursor=AA`);
      expectProblem(res, 400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.cursor']);
    },
  );

  it('answers ?cursor=AA on a webhook’s deliveries log with 400', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const wh = await c.post('/v1/webhooks', hook);
    expectProblem(await c.get(`/v1/webhooks/${wh.body.id}/deliveries?cursor=AA`), 400);
  });

  it('answers ?webhook_id=%00 on notifications with 400', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const res = await c.get('/v1/notifications?webhook_id=%00');
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.webhook_id']);
  });

  it('answers a replay range outside PostgreSQL’s timestamps with 422', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const wh = await c.post('/v1/webhooks', hook);
    expectProblem(
      await c.post(`/v1/webhooks/${wh.body.id}/replay`, { since: '-200000-01-01T00:00:00Z', until: '-200000-01-02T00:00:00Z' }),
      422,
    );
  });

  it('lets two workspaces give their event types’ schemas the same $id', async () => {
    const schema = (required: string) => ({ $id: 'urn:hookflow:test:invoice', type: 'object', required: [required] });
    const a = api(stack.url, (await givenWorkspace(stack.db)).key);
    const b = api(stack.url, (await givenWorkspace(stack.db)).key);
    expect((await a.post('/v1/event-types', { name: 'invoice.paid', schema: schema('amount') })).status).toBe(201);
    expect((await b.post('/v1/event-types', { name: 'invoice.paid', schema: schema('total') })).status).toBe(201);
    expectProblem(await a.post('/v1/events', { type: 'invoice.paid', data: { total: 1 } }), 422);
    expect((await b.post('/v1/events', { type: 'invoice.paid', data: { total: 1 } })).status).toBe(202);
  });
});
