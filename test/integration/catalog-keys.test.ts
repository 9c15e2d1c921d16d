import { describe, expect, it } from 'vitest';
import { api, givenWorkspace, useStack } from '../helpers/stack';

const stack = useStack({}, { roles: ['api'] });

describe('event-type catalog', () => {
  it('validates event data against the type’s JSON Schema and, when enforced, refuses unknown types', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const created = await c.post('/v1/event-types', {
      name: 'invoice.created',
      description: 'An invoice was created',
      schema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number', minimum: 0 } } },
    });
    expect(created.status).toBe(201);
    expect((await c.post('/v1/event-types', { name: 'invoice.created' })).status).toBe(409);
    expect((await c.post('/v1/event-types', { name: 'bad.schema', schema: { type: 'nonsense' } })).status).toBe(422);
    expect((await c.get('/v1/event-types')).body.data.map((e: { name: string }) => e.name)).toEqual(['invoice.created']);

    expect((await c.post('/v1/events', { type: 'invoice.created', data: { amount: 10 } })).status).toBe(202);
    const bad = await c.post('/v1/events', { type: 'invoice.created', data: { amount: -1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('body.data.amount');
    expect((await c.post('/v1/events', { type: 'other.thing', data: {} })).status).toBe(202);

    expect((await c.patch('/v1/workspace', { enforce_event_catalog: true })).body.enforce_event_catalog).toBe(true);
    const unknown = await c.post('/v1/events', { type: 'other.thing', data: {} });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toMatch(/not in this workspace's catalog/);
  });
});

describe('API keys', () => {
  it('creates a key shown once, stores only its hash, lists without it, revokes it, and refuses scopes the caller lacks', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const created = await c.post('/v1/api-keys', { name: 'reader', scopes: ['webhooks:read'] });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^hf_/);
    const row = await stack.db('api_keys').where({ id: created.body.id }).first();
    expect(JSON.stringify(row)).not.toContain(created.body.key);
    expect(JSON.stringify((await c.get('/v1/api-keys')).body)).not.toContain(created.body.key);
    const reader = api(stack.url, created.body.key);
    expect((await reader.get('/v1/webhooks')).status).toBe(200);
    expect((await reader.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a'] })).status).toBe(403);
    expect((await reader.post('/v1/api-keys', { name: 'escalate', scopes: ['events:write'] })).status).toBe(403);
    expect((await c.delete(`/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await c.delete(`/v1/api-keys/${created.body.id}`)).status).toBe(404);
    expect((await reader.get('/v1/webhooks')).status).toBe(401);
  });
});

describe('Idempotency-Key on POST /v1/webhooks', () => {
  it('returns the stored response for the same key and body, 422 for another body', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const h = { 'idempotency-key': 'create-1' };
    const first = await c.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a'] }, h);
    const second = await c.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a'] }, h);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await c.get('/v1/webhooks')).body.data).toHaveLength(1);
    expect((await c.post('/v1/webhooks', { url: 'https://example.com/other', events: ['a'] }, h)).status).toBe(422);
  });
});
