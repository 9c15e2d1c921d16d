import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givenReceiver, type Receiver } from '../helpers/receiver';
import { api, givenStack, givenWorkspace, type Stack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

let stack: Stack;
let receiver: Receiver;
beforeAll(async () => {
  stack = await givenStack();
  receiver = await givenReceiver({ replies: [500] });
});
afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
});

describe('tenant isolation', () => {
  it('a key of workspace A gets 404 for every route that names a resource of workspace B', async () => {
    const spec = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const b = api(stack.url, (await givenWorkspace(stack.db)).key);
    const a = api(stack.url, (await givenWorkspace(stack.db)).key);
    const wh = (await b.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1h'] } })).body;
    const ev = (await b.post('/v1/events', { type: 'a.b', data: { secret: 'of B' } })).body;
    const dlv = ev.deliveries[0].id;
    await eventually(async () => (await b.get(`/v1/deliveries/${dlv}`)).body.status === 'retrying');
    const key = (await b.post('/v1/api-keys', { name: 'b2' })).body;
    const ids: Record<string, string> = { webhooks: wh.id, events: ev.id, deliveries: dlv, 'api-keys': key.id };

    const bodies: Record<string, unknown> = {
      'patch /v1/webhooks/{id}': { name: 'stolen' },
      'post /v1/webhooks/{id}/replay': { since: new Date(Date.now() - 3600_000).toISOString() },
    };
    let checked = 0;
    for (const [template, ops] of Object.entries<Record<string, unknown>>(spec.paths)) {
      if (!template.includes('{id}')) continue;
      const resource = template.split('/')[2];
      const path = template.replace('{id}', ids[resource]);
      for (const method of Object.keys(ops)) {
        const res = await (method === 'get' || method === 'delete'
          ? a[method as 'get' | 'delete'](path)
          : a[method as 'post' | 'patch'](path, bodies[`${method} ${template}`] ?? {}));
        expect(res.status, `${method.toUpperCase()} ${template}`).toBe(404);
        expect(JSON.stringify(res.body)).not.toContain('of B');
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
    // Lists show nothing of B, and B's objects are untouched.
    for (const list of ['/v1/webhooks', '/v1/notifications', '/v1/api-keys', '/v1/event-types']) {
      expect(JSON.stringify((await a.get(list)).body), list).not.toContain(wh.id);
    }
    expect((await b.get(`/v1/webhooks/${wh.id}`)).body).toMatchObject({ name: wh.name, status: 'active' });
    expect((await b.get(`/v1/deliveries/${dlv}`)).body.status).toBe('retrying');
  });
});
