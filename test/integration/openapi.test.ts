import { randomBytes } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/db/repositories/api-keys';
import { givenReceiver, type Receiver } from '../helpers/receiver';
import { api, givenStack, givenWorkspace, type Stack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

let stack: Stack;
let receiver: Receiver;
let spec: any;
const covered = new Set<string>();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

beforeAll(async () => {
  stack = await givenStack();
  receiver = await givenReceiver({ replies: [500, 200] });
  spec = await (await fetch(`${stack.url}/openapi.json`)).json();
});
afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
});

function operationOf(method: string, path: string): [string, any] {
  for (const [template, ops] of Object.entries<any>(spec.paths)) {
    const re = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (re.test(path.split('?')[0]) && ops[method]) return [`${method} ${template}`, ops[method]];
  }
  throw new Error(`no operation in the spec for ${method.toUpperCase()} ${path}`);
}

/** Calls the API and checks the response against the spec: status documented, body matches. */
function checked(key: string | null) {
  const c = api(stack.url, key);
  const call = async (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown) => {
    const full = `/v1${path}`;
    const res = await (method === 'get' || method === 'delete' ? c[method](full) : c[method](full, body as object));
    const [id, op] = operationOf(method, `/v1${path}`);
    covered.add(`${id} ${res.status >= 400 ? 'error' : 'ok'}`);
    const documented = op.responses[String(res.status)];
    expect(documented, `${id} answered ${res.status}, which the spec does not list`).toBeDefined();
    const content = documented.content;
    if (!content) {
      expect(res.body, `${id} ${res.status} should have no body`).toBeNull();
      return res;
    }
    const [type, media] = Object.entries<any>(content)[0];
    expect(res.headers.get('content-type')).toContain(type);
    const schema = media.schema.$ref ? spec.components.schemas.Problem : media.schema;
    const validate = ajv.compile(schema);
    expect(validate(res.body), `${id} ${res.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`).toBe(true);
    return res;
  };
  return {
    get: (p: string) => call('get', p),
    post: (p: string, b: unknown = {}) => call('post', p, b),
    patch: (p: string, b: unknown) => call('patch', p, b),
    delete: (p: string) => call('delete', p),
  };
}

describe('OpenAPI', () => {
  it('is OpenAPI 3.1 and /docs serves Swagger UI locally', async () => {
    expect(spec.openapi).toBe('3.1.0');
    const docs = await fetch(`${stack.url}/docs`);
    expect(await docs.text()).toContain('/docs/assets/swagger-ui-bundle.js');
    expect((await fetch(`${stack.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('gives every operation a unique camelCase verbNoun operationId (the typed client’s method names)', () => {
    const ids = Object.values<any>(spec.paths).flatMap((ops) => Object.values<any>(ops).map((op) => op.operationId));
    expect(ids.length).toBeGreaterThan(20);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(?:[A-Z][a-z]+)+$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every route’s success and error responses match the spec', async () => {
    const c = checked((await givenWorkspace(stack.db)).key);
    await checked(null).get('/webhooks');
    const wh = (await c.post('/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1h'] } })).body;
    await c.post('/webhooks', { url: 'nope', events: [] });
    await c.get('/webhooks?limit=1000');
    await c.get(`/webhooks/${wh.id}`);
    await c.get('/webhooks/wh_0000000000zzzzzzzzzzzzzzzz');
    await c.patch(`/webhooks/${wh.id}`, { name: 'renamed' });
    await c.patch(`/webhooks/${wh.id}`, { timeout_ms: 5 });
    const ev = (await c.post('/events', { type: 'a.b', data: { x: 1 } })).body;
    await c.post('/events', { type: '', data: {} });
    await c.get(`/events/${ev.id}`);
    await c.get('/events/evt_0000000000zzzzzzzzzzzzzzzz');
    expect(ev.deliveries, JSON.stringify(ev)).toHaveLength(1);
    const dlv = ev.deliveries[0].id;
    await eventually(async () => (await c.get(`/deliveries/${dlv}`)).body.status === 'retrying');
    await c.get('/deliveries/dlv_0000000000zzzzzzzzzzzzzzzz');
    await c.get(`/webhooks/${wh.id}/deliveries`);
    await c.get(`/webhooks/${wh.id}/deliveries?status=bogus`);
    await c.post(`/deliveries/${dlv}/retry`);
    await eventually(async () => (await c.get(`/deliveries/${dlv}`)).body.status === 'success');
    await c.post(`/deliveries/${dlv}/cancel`); // finished: 409
    await c.post('/deliveries/dlv_0000000000zzzzzzzzzzzzzzzz/retry');
    const failing = await givenReceiver({ replies: [500] });
    const wh2 = (await c.post('/webhooks', { url: failing.url, events: ['c.d'], retry_policy: { schedule: ['1h'] } })).body;
    const ev2 = (await c.post('/events', { type: 'c.d', data: {} })).body;
    const dlv2 = ev2.deliveries.find((d: { webhook_id: string }) => d.webhook_id === wh2.id).id;
    await eventually(async () => (await c.get(`/deliveries/${dlv2}`)).body.status === 'retrying');
    await c.post(`/deliveries/${dlv2}/cancel`);
    await failing.close();
    await c.post(`/webhooks/${wh.id}/test`);
    await c.post('/webhooks/wh_0000000000zzzzzzzzzzzzzzzz/test');
    await c.post(`/webhooks/${wh.id}/disable`);
    await c.post('/webhooks/wh_0000000000zzzzzzzzzzzzzzzz/disable');
    await c.post(`/webhooks/${wh.id}/enable`);
    await c.post('/webhooks/wh_0000000000zzzzzzzzzzzzzzzz/enable');
    await c.post(`/webhooks/${wh.id}/replay`, { since: new Date(Date.now() - 3600_000).toISOString() });
    await c.post(`/webhooks/${wh.id}/replay`, { since: 'yesterday-ish' });
    await c.get(`/webhooks/${wh.id}/secret`);
    await c.get('/webhooks/wh_0000000000zzzzzzzzzzzzzzzz/secret');
    await c.post(`/webhooks/${wh.id}/recover`, { since: new Date(Date.now() - 3600_000).toISOString() });
    await c.post(`/webhooks/${wh.id}/recover`, { since: 'last week' });
    await c.get('/deliveries?status=failed,retrying&status=success&is_test=false&event_type=a.*');
    await c.get('/deliveries?is_test=maybe');
    await c.get('/events?type=a.*&limit=5');
    await c.get('/events?until=soon');
    await c.post(`/webhooks/${wh.id}/rotate-secret`);
    await c.post(`/webhooks/${wh.id}/rotate-secret`, { secret: 'short' });
    await c.get('/webhooks');
    await c.get('/notifications');
    await c.get('/notifications?kind=nope');
    await c.get('/workspace');
    await checked(null).get('/workspace');
    await c.get('/workspace/notification-secret');
    await c.patch('/workspace', { notification_url: receiver.url });
    await c.patch('/workspace', { notification_url: 'http://10.0.0.1/' });
    await c.get('/workspace/notification-secret');
    await c.post('/event-types', { name: 'a.b', description: 'A b' });
    await c.post('/event-types', { name: 'a.b' });
    await c.get('/event-types');
    await c.get('/event-types?limit=0');
    const key = (await c.post('/api-keys', { name: 'k', scopes: ['webhooks:read'] })).body;
    await c.post('/api-keys', { name: '' });
    await c.get('/api-keys');
    await checked(null).get('/api-keys');
    await c.delete(`/api-keys/${key.id}`);
    await c.delete(`/api-keys/${key.id}`);
    await c.delete(`/webhooks/${wh.id}`);
    await c.delete(`/webhooks/${wh.id}`);
    await c.post('/portal-sessions', {});
    await c.post('/portal-sessions', { expires_in_s: 1 });
    const admin = checked((await givenWorkspace(stack.db, [...SCOPES])).key);
    const customer = (await admin.post('/workspaces', { name: 'customer', uid: `c-${randomBytes(4).toString('hex')}` })).body;
    await admin.post('/workspaces', { name: '' });
    await admin.get('/workspaces');
    await c.get('/workspaces');
    await admin.get(`/workspaces/${customer.uid}`);
    await admin.get('/workspaces/nobody');
    await admin.patch(`/workspaces/${customer.id}`, { max_active_webhooks: 5 });
    await admin.patch(`/workspaces/${customer.id}`, { uid: 'ws_bad' });
    await admin.delete(`/workspaces/${customer.id}`);
    await admin.delete(`/workspaces/${customer.id}`);

    const operations = Object.entries<any>(spec.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    for (const op of operations) {
      expect(covered.has(`${op} ok`), `${op} success not exercised`).toBe(true);
      expect(covered.has(`${op} error`), `${op} error not exercised`).toBe(true);
    }
  });
});
