import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { insertWebhook } from '../../src/db/repositories/webhooks';
import { newId } from '../../src/domain/ids';
import { PROFILES } from '../../src/domain/profiles';
import { generateSecret } from '../../src/signing/sign';
import { givenReceiver, type Received } from '../helpers/receiver';
import { api, givenStack, givenWorkspace, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

const stack = useStack({ HOOKFLOW_SECRET_ROTATION_OVERLAP_S: '3' });

const verifies = (secret: string, r: Received) => {
  try {
    new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

describe('secrets', () => {
  it('encrypts secrets at rest, hides them from lists and shows them on /secret', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const wh = (await c.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a'] })).body;
    const row = await stack.db('webhooks').where({ id: wh.id }).first();
    expect(row.secret_enc).not.toContain(wh.secret.slice(6));
    expect(stack.secretBox.decrypt(row.secret_enc)).toBe(wh.secret);
    expect(JSON.stringify((await c.get('/v1/webhooks')).body)).not.toContain(wh.secret);
    expect(JSON.stringify((await c.get(`/v1/webhooks/${wh.id}`)).body)).not.toContain(wh.secret);
    expect((await c.get(`/v1/webhooks/${wh.id}/secret`)).body).toEqual({ secret: wh.secret, previous_secret_expires_at: null });
    const bad = await c.post('/v1/webhooks', { url: 'https://example.com/h', events: ['a'], secret: 'not-a-whsec-secret-at-all' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('body.secret');
  });

  it('rotation: old-secret and new-secret receivers both verify during the overlap, only the new one after', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver();
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['a.b'] })).body;
    const rotated = (await c.post(`/v1/webhooks/${wh.id}/rotate-secret`)).body;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(wh.secret);
    expect(new Date(rotated.previous_secret_expires_at).getTime()).toBeGreaterThan(Date.now());
    await c.post('/v1/events', { type: 'a.b', data: { n: 1 } });
    const [during] = await receiver.waitFor(1);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(wh.secret, during)).toBe(true);
    expect(verifies(rotated.secret, during)).toBe(true);

    // The API says the overlap has ended (same clock as the signer), not a guess at how long it takes.
    await eventually(
      async () => (await c.get(`/v1/webhooks/${wh.id}/secret`)).body.previous_secret_expires_at === null,
      15_000,
      'the overlap to end',
    );
    await c.post('/v1/events', { type: 'a.b', data: { n: 2 } });
    const after = (await receiver.waitFor(2))[1];
    expect(verifies(wh.secret, after)).toBe(false);
    expect(verifies(rotated.secret, after)).toBe(true);
    await receiver.close();
  });

  it('signs the productive profile as seed 000 describes (t=…,s=hex HMAC of t.body)', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver();
    const wh = (
      await c.post('/v1/webhooks', {
        url: receiver.url,
        events: ['task.created'],
        profile: 'productive',
        custom_headers: { 'X-Tenant': 'acme' },
      })
    ).body;
    await c.post('/v1/events', { type: 'task.created', data: { id: 1 } });
    const [r] = await receiver.waitFor(1);
    const header = String(r.headers['productive-signature']);
    const t = /t=(\d+)/.exec(header)![1];
    const s = /s=([0-9a-f]{64})/.exec(header)![1];
    const expected = createHmac('sha256', wh.secret).update(`${t}.${r.body}`).digest('hex');
    expect(timingSafeEqual(Buffer.from(s), Buffer.from(expected))).toBe(true);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    expect(r.headers['x-tenant']).toBe('acme');
    expect(Object.keys(JSON.parse(r.body)).sort()).toEqual(['data', 'id', 'timestamp', 'type']);
    await receiver.close();
  });
});

describe('request shape and error classes', () => {
  it('sends PUT with a form body when configured, with a Hookflow User-Agent', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver();
    const wh = (
      await c.post('/v1/webhooks', {
        url: receiver.url,
        events: ['*'],
        profile: 'generic',
        method: 'PUT',
        content_type: 'application/x-www-form-urlencoded',
      })
    ).body;
    await c.post('/v1/events', { type: 'task.created', data: { name: 'x y' } });
    const [r] = await receiver.waitFor(1);
    expect(r.method).toBe('PUT');
    expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(r.headers['user-agent']).toMatch(/^Hookflow\/\d/);
    const payload = JSON.parse(new URLSearchParams(r.body).get('payload')!);
    expect(payload).toMatchObject({ event: 'task.created', webhook_id: wh.id, data: { name: 'x y' } });
    const expected = `sha256=${createHmac('sha256', wh.secret).update(r.body).digest('hex')}`;
    expect(r.headers['x-webhook-signature']).toBe(expected);
    expect(r.headers['x-webhook-id']).toMatch(/^dlv_/);
    expect(r.headers['x-webhook-timestamp']).toMatch(/^\d{10}$/);
    await receiver.close();
  });

  it.each([
    [
      'a redirect (not followed, Location recorded)',
      { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } },
      'redirect',
      /Location http:\/\/127\.0\.0\.1:1\/elsewhere/,
    ],
    ['a timeout', { status: 200, delayMs: 2500 }, 'timeout', /./],
    ['an HTTP 500 with a large body (4 KiB stored)', { status: 500, body: 'x'.repeat(100_000) }, 'http_status', /HTTP 500/],
  ])('records %s as error class', async (_what, reply, errorClass, message) => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver({ replies: [reply] });
    await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], timeout_ms: 1000, retry_policy: { schedule: ['1h'] } });
    const ev = (await c.post('/v1/events', { type: 'a.b', data: {} })).body;
    const d = await eventually(async () => {
      const x = (await c.get(`/v1/deliveries/${ev.deliveries[0].id}`)).body;
      return x.attempt_log.length ? x : null;
    });
    expect(d.status).toBe('retrying');
    expect(d.attempt_log[0].error_class).toBe(errorClass);
    expect(d.last_error).toMatch(message);
    if (errorClass === 'http_status') expect(d.attempt_log[0].response_body).toHaveLength(4096);
    expect(receiver.requests).toHaveLength(1);
    await receiver.close();
  });

  it('records a refused connection as refused', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await c.post('/v1/webhooks', { url: `http://127.0.0.1:${port}/gone`, events: ['*'], retry_policy: { schedule: ['1h'] } });
    const ev = (await c.post('/v1/events', { type: 'a.b', data: {} })).body;
    const d = await eventually(async () => {
      const x = (await c.get(`/v1/deliveries/${ev.deliveries[0].id}`)).body;
      return x.attempt_log.length ? x : null;
    });
    expect(d.attempt_log[0].error_class).toBe('refused');
  });
});

describe('SSRF guard at connect time (allow-list off)', () => {
  it('blocks loopback targets however they are spelled; no request arrives; the attempt counts as a failure', async () => {
    const guarded = await givenStack({ HOOKFLOW_ALLOW_PRIVATE_TARGETS: 'none' });
    const receiver = await givenReceiver();
    try {
      const { key, workspaceId } = await givenWorkspace(guarded.db);
      const c = api(guarded.url, key);
      const port = new URL(receiver.url).port;
      // Refused at create time...
      for (const url of [
        `http://127.0.0.1:${port}/`,
        `http://localhost:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,
        `http://2130706433:${port}/`,
        `http://0.0.0.0:${port}/`,
      ]) {
        const res = await c.post('/v1/webhooks', { url, events: ['*'] });
        expect(res.status, url).toBe(422);
      }
      // ...and, for URLs that passed then (DNS may change), again at connect time.
      const p = PROFILES.standard;
      for (const url of [
        `http://localhost:${port}/`,
        `http://0.0.0.0:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,
        `http://2130706433:${port}/`,
      ]) {
        await insertWebhook(guarded.db, {
          id: newId('wh'),
          workspace_id: workspaceId,
          name: url,
          url,
          method: 'POST',
          content_type: 'application/json',
          events: ['*'],
          status: 'active',
          disabled_reason: null,
          profile: 'standard',
          signature_scheme: p.scheme,
          signature_header: null,
          secret_enc: guarded.secretBox.encrypt(generateSecret()),
          previous_secret_enc: null,
          previous_secret_expires_at: null,
          custom_headers: {},
          retry_policy: { ...p.retryPolicy, schedule: [3_600_000] },
          max_attempts: 2,
          timeout_ms: 2000,
        });
      }
      const ev = (await c.post('/v1/events', { type: 'a.b', data: {} })).body;
      expect(ev.deliveries).toHaveLength(4);
      for (const d of ev.deliveries) {
        const x = await eventually(async () => {
          const r = (await c.get(`/v1/deliveries/${d.id}`)).body;
          return r.attempt_log.length ? r : null;
        });
        expect(x.attempt_log[0].error_class).toBe('ssrf_blocked');
        expect(x.status).toBe('retrying');
      }
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await receiver.close();
      await guarded.stop();
    }
  });
});
