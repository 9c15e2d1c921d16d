import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/db/repositories/api-keys';
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

type Client = ReturnType<typeof api>;

/** A caller confined to workspace A, three ways: A's own key, an admin key naming A, a portal session of A. */
async function callersOfA(): Promise<{ name: string; client: Client; workspaceId: string }[]> {
  const a = await givenWorkspace(stack.db);
  const admin = await givenWorkspace(stack.db, [...SCOPES]);
  const session = (await api(stack.url, a.key).post('/v1/portal-sessions', {})).body;
  expect(session.token).toMatch(/^hfp_/);
  return [
    { name: 'workspace key', client: api(stack.url, a.key), workspaceId: a.workspaceId },
    {
      name: 'admin key + Hookflow-Workspace',
      client: api(stack.url, admin.key, { 'hookflow-workspace': a.workspaceId }),
      workspaceId: a.workspaceId,
    },
    { name: 'portal session', client: api(stack.url, session.token), workspaceId: a.workspaceId },
  ];
}

/** Operations a portal session may not call at all (403 before any lookup). */
const NOT_FOR_PORTAL = ['delete /v1/api-keys/{id}', 'get /v1/events/{id}'];

describe('tenant isolation', () => {
  it('callers confined to workspace A get 404 for every route that names a resource of workspace B', async () => {
    const spec = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const b = api(stack.url, (await givenWorkspace(stack.db)).key);
    const wh = (await b.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1h'] } })).body;
    const ev = (await b.post('/v1/events', { type: 'a.b', data: { secret: 'of B' } })).body;
    const dlv = ev.deliveries[0].id;
    await eventually(async () => (await b.get(`/v1/deliveries/${dlv}`)).body.status === 'retrying');
    const key = (await b.post('/v1/api-keys', { name: 'b2' })).body;
    const ids: Record<string, string> = { webhooks: wh.id, events: ev.id, deliveries: dlv, 'api-keys': key.id };

    const bodies: Record<string, unknown> = {
      'patch /v1/webhooks/{id}': { name: 'stolen' },
      'post /v1/webhooks/{id}/replay': { since: new Date(Date.now() - 3600_000).toISOString() },
      'post /v1/webhooks/{id}/recover': { since: new Date(Date.now() - 3600_000).toISOString() },
    };
    for (const caller of await callersOfA()) {
      const a = caller.client;
      let checked = 0;
      for (const [template, ops] of Object.entries<Record<string, unknown>>(spec.paths)) {
        if (!template.includes('{id}')) continue;
        const resource = template.split('/')[2];
        // Workspaces are the admin's own resource: confined callers lack the scope (below).
        if (resource === 'workspaces') continue;
        const path = template.replace('{id}', ids[resource]);
        for (const method of Object.keys(ops)) {
          const res = await (method === 'get' || method === 'delete'
            ? a[method as 'get' | 'delete'](path)
            : a[method as 'post' | 'patch'](path, bodies[`${method} ${template}`] ?? {}));
          const expected = caller.name === 'portal session' && NOT_FOR_PORTAL.includes(`${method} ${template}`) ? 403 : 404;
          expect(res.status, `${caller.name}: ${method.toUpperCase()} ${template}`).toBe(expected);
          expect(JSON.stringify(res.body)).not.toContain('of B');
          checked++;
        }
      }
      expect(checked, caller.name).toBeGreaterThanOrEqual(15);
      // Lists show nothing of B.
      for (const list of ['/v1/webhooks', '/v1/notifications', '/v1/event-types']) {
        expect(JSON.stringify((await a.get(list)).body), `${caller.name}: ${list}`).not.toContain(wh.id);
      }
    }
    // B's objects are untouched.
    expect((await b.get(`/v1/webhooks/${wh.id}`)).body).toMatchObject({ name: wh.name, status: 'active' });
    expect((await b.get(`/v1/deliveries/${dlv}`)).body.status).toBe('retrying');
  });

  it('a workspace key or portal session naming another workspace in Hookflow-Workspace gets 403; an admin key reaches it', async () => {
    const b = await givenWorkspace(stack.db);
    const wh = (await api(stack.url, b.key).post('/v1/webhooks', { url: receiver.url, events: ['*'] })).body;
    for (const caller of await callersOfA()) {
      const other = { 'hookflow-workspace': b.workspaceId };
      const own = { 'hookflow-workspace': caller.workspaceId };
      if (caller.name.startsWith('admin')) {
        expect(JSON.stringify((await caller.client.get('/v1/webhooks', other)).body)).toContain(wh.id);
        continue;
      }
      const denied = await caller.client.get('/v1/webhooks', other);
      expect(denied.status, caller.name).toBe(403);
      expect(JSON.stringify(denied.body)).not.toContain(wh.id);
      // A workspace that does not exist is refused the same way: nothing tells the two apart.
      expect((await caller.client.get('/v1/webhooks', { 'hookflow-workspace': 'ws_nonexistent' })).status).toBe(403);
      expect((await caller.client.get('/v1/webhooks', own)).status, `${caller.name} naming its own`).toBe(200);
      expect((await caller.client.get(`/v1/workspaces/${b.workspaceId}`)).status, `${caller.name} on the admin API`).toBe(403);
    }
  });
});
