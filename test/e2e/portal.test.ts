import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { createHookflowClient, type HookflowClient } from '../../clients/typescript/src';
import { SCOPES } from '../../src/db/repositories/api-keys';
import { launchChromium } from '../helpers/browser';
import { givenReceiver, type Received } from '../helpers/receiver';
import { givenStack, givenWorkspace, type Stack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

const XSS = '<img src=x onerror=alert(1)>';
const SECRET = `portal-test-secret-${randomBytes(6).toString('hex')}`;
const img = path.resolve(__dirname, '..', '..', 'docs', 'img');

type Reply = number | { status: number; body?: string };
/** What the receiver answers next; the tests switch it between healthy and failing. */
const replies: Reply[] = [200];

let stack: Stack;
let receiver: Awaited<ReturnType<typeof givenReceiver>>;
let browser: Browser;
let page: Page;
let saas: HookflowClient;
let uid: string;
let webhookId: string;
/** alert() calls: an injected script would make one. */
const alerts: string[] = [];

/** The generic profile's signature (seed 002), checked independently of Hookflow's code. */
function verifyGeneric(r: Received): void {
  const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
  if (r.headers['x-webhook-signature'] !== expected) throw new Error(`bad signature ${r.headers['x-webhook-signature']}`);
}

async function shot(name: string, width = 1280): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  await page.screenshot({ path: path.join(img, `portal-${name}.png`), fullPage: true });
}

/** Loads a portal route (again, if it is the current one) and waits for its new heading. */
async function open(hash: string, heading: string | RegExp): Promise<void> {
  await page.evaluate(`document.querySelector('h1')?.remove();
    if (location.hash === ${JSON.stringify(hash)}) dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = ${JSON.stringify(hash)};`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

beforeAll(async () => {
  fs.mkdirSync(img, { recursive: true });
  stack = await givenStack();
  receiver = await givenReceiver({ replies, verify: verifyGeneric });
  const admin = await givenWorkspace(stack.db, [...SCOPES]);
  uid = `acme-${randomBytes(4).toString('hex')}`;
  // The SaaS's backend: an admin key acting on its customer's workspace by uid.
  const root = createHookflowClient({ baseUrl: stack.url, apiKey: admin.key });
  expect((await root.POST('/v1/workspaces', { body: { name: 'Acme Inc.', uid } })).response.status).toBe(201);
  saas = createHookflowClient({ baseUrl: stack.url, apiKey: admin.key, workspace: uid });
  for (const [name, description] of [
    ['task.created', 'New task created'],
    ['task.completed', 'Task marked done'],
    ['project.created', 'Project created'],
  ]) {
    const schema =
      name === 'task.created'
        ? { type: 'object', properties: { id: { type: 'string' } }, examples: [{ id: 'task_1', name: 'Design homepage' }] }
        : null;
    expect((await saas.POST('/v1/event-types', { body: { name, description, schema } })).response.status).toBe(201);
  }
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(60_000);
  page.on('dialog', (d) => {
    if (d.type() === 'alert') alerts.push(d.message());
    void d.accept();
  });
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await stack?.stop();
});

describe('webhook portal', () => {
  beforeEach(() =>
    onTestFailed(async () => void (await page.screenshot({ path: path.join(os.tmpdir(), 'portal-failure.png'), fullPage: true }))),
  );

  it('a portal link opens the customer’s portal; the token leaves the address bar', async () => {
    const { data } = await saas.POST('/v1/portal-sessions', { body: {} });
    expect(data!.url).toMatch(/\/portal\/#token=hfp_/);
    await page.goto(data!.url);
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    expect(page.url()).not.toContain('hfp_');
    expect(await page.locator('#active-count').innerText()).toBe('0 of 25 active');
  });

  it('creates a webhook through the form, with API validation errors next to their field', async () => {
    await page.getByRole('link', { name: 'Add webhook' }).click();
    await page.getByRole('heading', { name: 'Add webhook' }).waitFor();
    // Labels name every control (getByLabel fails otherwise); Tab moves through them in order.
    await page.getByLabel('Name', { exact: true }).fill(XSS);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('f-url');
    await page.keyboard.type('http://10.0.0.1/hook');
    await page.getByLabel('Profile').selectOption('generic');
    await page.getByLabel('task.created').check();
    await page.getByLabel('Secret').fill(SECRET);
    await page.getByLabel('Custom headers').fill('X-Tenant: acme');
    await page.getByLabel('Retry schedule').fill('1s, 1s, 1s');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    // The SSRF guard refuses a private address: the API's message appears under the URL field.
    await page
      .locator('#f-url-error')
      .getByText(/not allowed|private/i)
      .waitFor();
    expect(await page.getByLabel('Callback URL').getAttribute('aria-invalid')).toBe('true');
    await shot('form-error');

    await page.getByLabel('Callback URL').fill(receiver.url);
    await shot('form');
    await page.getByLabel('Callback URL').press('Enter');
    await page.getByRole('heading', { level: 1, name: XSS }).waitFor();
    webhookId = /#\/webhooks\/(wh_\w+)/.exec(page.url())![1];
    const { data } = await saas.GET('/v1/webhooks/{id}', { params: { path: { id: webhookId } } });
    expect(data).toMatchObject({
      name: XSS,
      profile: 'generic',
      events: ['task.created'],
      custom_headers: { 'X-Tenant': 'acme' },
      max_attempts: 4,
    });
  });

  it('shows an event published over the API as a verified delivery in the log', async () => {
    const { data: event } = await saas.POST('/v1/events', { body: { type: 'task.created', data: { id: 'task_1' } } });
    const [request] = await receiver.waitFor(1);
    expect(receiver.verifyErrors).toEqual([]);
    expect(request.headers['x-tenant']).toBe('acme');
    const deliveryId = event!.deliveries[0].id;
    await eventually(
      async () => (await saas.GET('/v1/deliveries/{id}', { params: { path: { id: deliveryId } } })).data?.status === 'success',
    );

    await open(`#/webhooks/${webhookId}`, XSS);
    await page.getByLabel('Show').selectOption('all');
    const row = page.locator('tr', { hasText: 'task.created' }).filter({ hasText: 'success' });
    await row.first().waitFor();
    await row.first().getByRole('link').click();
    await page.getByRole('heading', { name: 'task.created delivery' }).waitFor();
    expect(await page.locator('#delivery-status').innerText()).toMatch(/success\s+200/);
    const { data: delivery } = await saas.GET('/v1/deliveries/{id}', { params: { path: { id: deliveryId } } });
    expect(await page.getByRole('link', { name: 'Open in Temporal Web UI' }).getAttribute('href')).toBe(delivery!.temporal_ui_url);
    await shot('delivery');
  });

  it('a failing receiver shows in the default view; its answer renders as text; the generic profile disables the webhook', async () => {
    replies[0] = { status: 500, body: XSS };
    const { data: event } = await saas.POST('/v1/events', { body: { type: 'task.created', data: { id: 'task_2' } } });
    const deliveryId = event!.deliveries[0].id;
    // 1 s, 1 s, 1 s: the fourth failed attempt exhausts the schedule and disables the webhook.
    await eventually(
      async () => (await saas.GET('/v1/webhooks/{id}', { params: { path: { id: webhookId } } })).data?.status === 'disabled',
      90_000,
      'disabled',
    );

    await open(`#/webhooks/${webhookId}`, XSS);
    expect(await page.locator('#webhook-status').innerText()).toMatch(/disabled/);
    await page.locator('tr', { hasText: 'failed' }).first().waitFor();
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.locator('#test-result').getByText(/500/).waitFor();
    // The default view lists failures and tests, so the test now shows too.
    await open(`#/webhooks/${webhookId}`, XSS);
    await page.locator('tr', { hasText: 'webhook.test' }).first().waitFor();
    await shot('webhook');
    await shot('webhook-390', 390);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

    await open(`#/deliveries/${deliveryId}`, 'task.created delivery');
    await page.locator('pre', { hasText: XSS }).first().waitFor();
    expect(await page.locator('img').count()).toBe(0);
    // Retry now on a disabled webhook: the API's refusal is shown, nothing is sent.
    await page.getByRole('button', { name: 'Retry now' }).click();
    await page
      .locator('#delivery-result')
      .getByText(/enable it first/)
      .waitFor();
    await shot('delivery-failed');
  });

  it('after the fix: test, re-enable, replay the time range; the secret reads back', async () => {
    replies[0] = 200;
    const before = receiver.requests.length;
    await page.setViewportSize({ width: 1280, height: 900 });
    await open(`#/webhooks/${webhookId}`, XSS);
    await page.getByRole('button', { name: 'Send test' }).click();
    await page
      .locator('#test-result')
      .getByText(/success/)
      .waitFor();
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    expect(await page.locator('#webhook-status').innerText()).toMatch(/active/);
    await page.getByRole('button', { name: 'Replay failed deliveries' }).click();
    await page.locator('#replay-result').getByText('Replaying 1 delivery.').waitFor();
    await eventually(
      async () => receiver.requests.slice(before).some((r) => JSON.parse(r.body).data?.id === 'task_2'),
      15_000,
      'the replayed event',
    );
    expect(receiver.verifyErrors.length).toBe(0);

    await page.getByRole('button', { name: 'Reveal secret' }).click();
    expect(await page.locator('#secret-value').innerText()).toBe(SECRET);
  });

  it('a gitproductivity webhook shows the result of its test on save', async () => {
    const other = await givenReceiver();
    await open('#/webhooks/new', 'Add webhook');
    await page.getByLabel('Name', { exact: true }).fill('GitProductivity');
    await page.getByLabel('Callback URL').fill(other.url);
    await page.getByLabel('Profile').selectOption('gitproductivity');
    await page.getByLabel('Other event types or patterns').fill('task.*');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByRole('heading', { level: 1, name: 'GitProductivity' }).waitFor();
    await page
      .locator('#test-result')
      .getByText(/Test on save: success 200/)
      .waitFor();
    expect((await other.waitFor(1))[0].headers['x-gitproductivity-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    await other.close();
  });

  it('lists the webhooks with their last delivery, notifications and the event-type catalog', async () => {
    await open('#/webhooks', 'Webhooks');
    expect(await page.locator('#active-count').innerText()).toBe('2 of 25 active');
    await page
      .locator('tr', { hasText: XSS })
      .getByText(/success/)
      .waitFor();
    await shot('list');
    await shot('list-390', 390);
    await page.setViewportSize({ width: 1280, height: 900 });
    await open('#/notifications', 'Notifications');
    await page
      .locator('tr', { hasText: 'Endpoint disabled' })
      .locator('summary', { hasText: /failed after 4 attempts/ })
      .waitFor();
    await shot('notifications');
    await open('#/event-types', 'Event types');
    await page.getByText('Task marked done').waitFor();
    await page.getByText('Example data').first().click();
    await page.getByText('"Design homepage"').waitFor();
    await shot('event-types');
    expect(alerts).toEqual([]);
  });

  it('a read-only portal link shows the data and the API’s refusal of changes', async () => {
    const { data } = await saas.POST('/v1/portal-sessions', { body: { read_only: true } });
    const ro = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await ro.goto(data!.url);
    await ro.getByRole('link', { name: XSS }).click();
    await ro.getByRole('button', { name: 'Send test' }).click();
    await ro
      .locator('#test-result')
      .getByText(/read-only portal session/)
      .waitFor();
    await ro.close();
  });

  it('an expired portal link shows the sign-in-needed page, not data', async () => {
    const { data } = await saas.POST('/v1/portal-sessions', { body: { workspace: uid } });
    await stack
      .db('portal_sessions')
      .where({ workspace_id: data!.workspace_id })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await fresh.goto(data!.url);
    await fresh.getByRole('heading', { level: 1, name: 'Sign-in needed' }).waitFor();
    expect(await fresh.getByText(XSS).count()).toBe(0);
    expect(await fresh.locator('table').count()).toBe(0);
    await fresh.screenshot({ path: path.join(img, 'portal-sign-in.png') });
    await fresh.close();
  });

  it('portal pages carry a strict Content-Security-Policy and no inline script or style', async () => {
    const res = await fetch(`${stack.url}/portal/`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    expect((await fetch(`${stack.url}/portal/app.js`)).headers.get('content-type')).toContain('javascript');
  });
});
