import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashKey, SCOPES } from '../../src/db/repositories/api-keys';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';

const bootstrapKey = `hf_${randomBytes(18).toString('base64url')}`;
const stack = useStack({ HOOKFLOW_BOOTSTRAP_API_KEY: bootstrapKey });
const uid = () => `cust-${randomBytes(5).toString('hex')}`;

describe('workspaces API (admin keys)', () => {
  it('the bootstrap key creates, lists, gets (by id or uid), patches and deletes workspaces', async () => {
    const admin = api(stack.url, bootstrapKey);
    const u = uid();
    const created = await admin.post('/v1/workspaces', { name: 'Acme', uid: u });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^ws_/),
      uid: u,
      name: 'Acme',
      max_active_webhooks: 25,
      active_webhooks: 0,
    });
    const id = created.body.id;
    expect((await admin.get(`/v1/workspaces/${u}`)).body.id).toBe(id);
    expect((await admin.get(`/v1/workspaces/${id}`)).body.uid).toBe(u);
    expect((await admin.post('/v1/workspaces', { name: 'again', uid: u })).status).toBe(409);
    expect((await admin.post('/v1/workspaces', { name: 'x', uid: 'ws_looks_like_an_id' })).status).toBe(422);
    expect((await admin.post('/v1/workspaces', { name: 'x', uid: 'has space' })).status).toBe(422);

    const listed: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const page: { body: { data: { id: string }[]; next_cursor: string | null } } = await admin.get(
        `/v1/workspaces?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      );
      listed.push(...page.body.data.map((w) => w.id));
      cursor = page.body.next_cursor;
      if (!cursor) break;
    }
    expect(listed).toContain(id);

    const patched = await admin.patch(`/v1/workspaces/${u}`, { name: 'Acme Inc.', max_active_webhooks: 1 });
    expect(patched.body).toMatchObject({ name: 'Acme Inc.', max_active_webhooks: 1 });
    expect((await admin.delete(`/v1/workspaces/${id}`)).status).toBe(204);
    expect((await admin.get(`/v1/workspaces/${u}`)).status).toBe(404);
    expect((await admin.get('/v1/webhooks', { 'hookflow-workspace': u })).status).toBe(404);
  });

  it('keys without workspaces:admin cannot use the workspaces API', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    expect((await c.post('/v1/workspaces', { name: 'x' })).status).toBe(403);
    expect((await c.get('/v1/workspaces')).status).toBe(403);
    // Nor hand out the scope they lack.
    expect((await c.post('/v1/api-keys', { name: 'x', scopes: ['workspaces:admin'] })).status).toBe(403);
  });

  it('an admin key acts on a workspace named by Hookflow-Workspace (id or uid) on existing routes', async () => {
    const admin = await givenWorkspace(stack.db, [...SCOPES]);
    const u = uid();
    const ws = (await api(stack.url, admin.key).post('/v1/workspaces', { name: 'Customer', uid: u })).body;
    const receiver = await givenReceiver();
    const asCustomer = api(stack.url, admin.key, { 'hookflow-workspace': u });
    const wh = await asCustomer.post('/v1/webhooks', { url: receiver.url, events: ['*'] });
    expect(wh.status).toBe(201);
    const ev = await asCustomer.post('/v1/events', { type: 'task.created', data: { id: 1 } });
    expect(ev.body.deliveries.map((d: { webhook_id: string }) => d.webhook_id)).toEqual([wh.body.id]);
    await receiver.waitFor(1);
    // By id too; and the admin's own workspace (no header) does not see it.
    expect((await api(stack.url, admin.key, { 'hookflow-workspace': ws.id }).get(`/v1/webhooks/${wh.body.id}`)).status).toBe(200);
    expect((await api(stack.url, admin.key).get(`/v1/webhooks/${wh.body.id}`)).status).toBe(404);
    expect((await asCustomer.get('/v1/workspace')).body).toMatchObject({ id: ws.id, uid: u, active_webhooks: 1, max_active_webhooks: 25 });
    expect((await api(stack.url, admin.key, { 'hookflow-workspace': 'no-such-customer' }).get('/v1/webhooks')).status).toBe(404);
    await receiver.close();
  });

  it('each workspace has its own limit of active webhooks, set by the admin', async () => {
    const admin = await givenWorkspace(stack.db, [...SCOPES]);
    const u = uid();
    await api(stack.url, admin.key).post('/v1/workspaces', { name: 'Small', uid: u, max_active_webhooks: 1 });
    const c = api(stack.url, admin.key, { 'hookflow-workspace': u });
    expect((await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/a', events: ['*'] })).status).toBe(201);
    const second = await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/b', events: ['*'] });
    expect(second.status).toBe(409);
    expect(second.body.detail).toMatch(/limit 1/);
    expect((await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/b', events: ['*'], status: 'inactive' })).status).toBe(201);
    await api(stack.url, admin.key).patch(`/v1/workspaces/${u}`, { max_active_webhooks: null });
    expect((await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/c', events: ['*'] })).status).toBe(201);
  });

  it('deleting a workspace revokes its keys and disables its webhooks; an admin cannot delete its own', async () => {
    const admin = await givenWorkspace(stack.db, [...SCOPES]);
    const customer = await givenWorkspace(stack.db);
    const c = api(stack.url, customer.key);
    const wh = (await c.post('/v1/webhooks', { url: 'http://127.0.0.1:9/a', events: ['*'] })).body;
    expect((await api(stack.url, admin.key).delete(`/v1/workspaces/${customer.workspaceId}`)).status).toBe(204);
    expect((await c.get('/v1/webhooks')).status).toBe(401);
    expect((await stack.db('webhooks').where({ id: wh.id }).first()).status).toBe('disabled');
    expect((await api(stack.url, admin.key).delete(`/v1/workspaces/${admin.workspaceId}`)).status).toBe(409);
  });
});

describe('portal sessions', () => {
  it('hands out a short-lived portal URL whose token is stored only as a hash', async () => {
    const admin = await givenWorkspace(stack.db, [...SCOPES]);
    const u = uid();
    const ws = (await api(stack.url, admin.key).post('/v1/workspaces', { name: 'Portal', uid: u })).body;
    const res = await api(stack.url, admin.key).post('/v1/portal-sessions', { workspace: u, expires_in_s: 600 });
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(`${stack.url}/portal/#token=${res.body.token}`);
    expect(res.body).toMatchObject({ workspace_id: ws.id, read_only: false });
    expect(Date.parse(res.body.expires_at) - Date.now()).toBeGreaterThan(500_000);
    const row = await stack.db('portal_sessions').where({ workspace_id: ws.id }).first();
    expect(row.token_hash).toBe(hashKey(res.body.token));
    expect(JSON.stringify(row)).not.toContain(res.body.token);
    expect((await api(stack.url, res.body.token).get('/v1/workspace')).body.id).toBe(ws.id);
    expect((await api(stack.url, admin.key).post('/v1/portal-sessions', { workspace: u, expires_in_s: 8 * 86400 })).status).toBe(422);
    expect((await api(stack.url, admin.key).post('/v1/portal-sessions', { workspace: 'nobody-here' })).status).toBe(404);
  });

  it('a session can do only what the portal needs: no API keys, no publishing, no sessions', async () => {
    const a = await givenWorkspace(stack.db);
    const token = (await api(stack.url, a.key).post('/v1/portal-sessions', {})).body.token;
    const s = api(stack.url, token);
    expect((await s.get('/v1/webhooks')).status).toBe(200);
    expect((await s.post('/v1/api-keys', { name: 'escalate' })).status).toBe(403);
    expect((await s.get('/v1/api-keys')).status).toBe(403);
    expect((await s.post('/v1/events', { type: 'a.b', data: {} })).status).toBe(403);
    expect((await s.post('/v1/portal-sessions', {})).status).toBe(403);
    expect((await s.patch('/v1/workspace', { name: 'x' })).status).toBe(403);
  });

  it('a read-only session reads but cannot change anything (403)', async () => {
    const a = await givenWorkspace(stack.db);
    const wh = (await api(stack.url, a.key).post('/v1/webhooks', { url: 'http://127.0.0.1:9/a', events: ['*'] })).body;
    const token = (await api(stack.url, a.key).post('/v1/portal-sessions', { read_only: true })).body.token;
    const s = api(stack.url, token);
    expect((await s.get(`/v1/webhooks/${wh.id}`)).status).toBe(200);
    expect((await s.get(`/v1/webhooks/${wh.id}/deliveries`)).status).toBe(200);
    for (const res of [
      await s.post('/v1/webhooks', { url: 'http://127.0.0.1:9/b', events: ['*'] }),
      await s.patch(`/v1/webhooks/${wh.id}`, { name: 'changed' }),
      await s.post(`/v1/webhooks/${wh.id}/disable`),
      await s.post(`/v1/webhooks/${wh.id}/test`),
      await s.get(`/v1/webhooks/${wh.id}/secret`),
      await s.delete(`/v1/webhooks/${wh.id}`),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.detail).toMatch(/read-only portal session/);
    }
    expect((await api(stack.url, a.key).get(`/v1/webhooks/${wh.id}`)).body).toMatchObject({ name: wh.name, status: 'active' });
  });

  it('an expired session gets 401', async () => {
    const a = await givenWorkspace(stack.db);
    const token = (await api(stack.url, a.key).post('/v1/portal-sessions', {})).body.token;
    await stack
      .db('portal_sessions')
      .where({ token_hash: hashKey(token) })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const res = await api(stack.url, token).get('/v1/webhooks');
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('a workspace key opens the portal of its own workspace only', async () => {
    const a = await givenWorkspace(stack.db);
    const b = await givenWorkspace(stack.db);
    expect((await api(stack.url, a.key).post('/v1/portal-sessions', { workspace: a.workspaceId })).status).toBe(201);
    expect((await api(stack.url, a.key).post('/v1/portal-sessions', { workspace: b.workspaceId })).status).toBe(403);
  });
});
