import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { givenReceiver } from '../helpers/receiver';
import { api, givenStack, givenWorkspace, type Stack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

// Debian's chromium (`apt-get install chromium`; .ci/run installs it).
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const root = path.resolve(__dirname, '..', '..');

let dev: DevServer;
let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  if (!CHROMIUM) throw new Error('chromium not found: apt-get install chromium (the Web UI check needs it)');
  dev = await startDevServer({ cli: resolveTemporalCli(), dataDir: null, port: await freePort(), uiPort: await freePort() });
  stack = await givenStack({ TEMPORAL_ADDRESS: dev.address });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await dev?.stop();
});

describe('Temporal Web UI', () => {
  it('finds a delivery by WebhookId and shows its summary', async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    // The first attempt fails, so the timeline shows it (a local activity), the retry timer and
    // the second attempt (a regular activity with its summary).
    const receiver = await givenReceiver({ replies: [500, 200] });
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], name: 'billing app', retry_policy: { schedule: ['1s'] } })).body;
    const ev = (await c.post('/v1/events', { type: 'invoice.created', data: { amount: 42 } })).body;
    await receiver.waitFor(2);
    const workflowId = `delivery:${ev.id}:${wh.id}`;
    await eventually(async () => {
      for await (const w of stack.client.workflow.list({ query: `WebhookId = '${wh.id}'` })) return w.workflowId === workflowId;
      return false;
    }, 10_000, 'visibility');

    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    const query = encodeURIComponent(`WebhookId="${wh.id}"`);
    await page.goto(`${dev.uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
    expect(await page.getByText('deliveryWorkflow').count()).toBeGreaterThan(0);
    fs.mkdirSync(path.join(root, 'docs', 'img'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-deliveries.png') });

    await page.getByRole('link', { name: workflowId }).first().click();
    // Each retry's activity carries a summary on the timeline...
    await page.getByText('attempt 2 (scheduled)').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-delivery.png') });
    // ...and the workflow its readable summary (event type → webhook name (host)).
    await page.getByText('User Metadata').first().click();
    const summary = `invoice.created → billing app (${new URL(receiver.url).host})`;
    // The UI renders user metadata (markdown) in sandboxed iframes: look in every frame.
    const texts = async () => Promise.all(page.frames().map((f) => f.locator('body').innerText().catch(() => '')));
    await eventually(async () => (await texts()).some((t) => t.includes(summary)), 30_000, 'the workflow summary');
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-summary.png') });
    await receiver.close();
  });
});
