import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { launchChromium } from '../helpers/browser';
import { givenReceiver } from '../helpers/receiver';
import { api, givenStack, givenWorkspace, type Stack } from '../helpers/stack';
import { eventually, workflowClosed } from '../helpers/wait';

const root = path.resolve(__dirname, '..', '..');

let dev: DevServer;
let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  // Its own dev server, on two ports picked here: one of them can be taken by a neighbouring test
  // process before the server binds it (seen once in CI: the server exited with code 2), so a
  // failed start is tried again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      dev = await startDevServer({ cli: resolveTemporalCli(), dataDir: null, port: await freePort(), uiPort: await freePort() });
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  stack = await givenStack({ TEMPORAL_ADDRESS: dev.address });
  browser = await launchChromium();
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
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], name: 'billing app', retry_policy: { schedule: ['1s'] } }))
      .body;
    const ev = (await c.post('/v1/events', { type: 'invoice.created', data: { amount: 42 } })).body;
    await receiver.waitFor(2);
    const workflowId = `delivery:${ev.id}:${wh.id}`;
    await eventually(
      async () => {
        for await (const w of stack.client.workflow.list({ query: `WebhookId = '${wh.id}'` })) return w.workflowId === workflowId;
        return false;
      },
      10_000,
      'visibility',
    );

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
    const texts = async () =>
      Promise.all(
        page.frames().map((f) =>
          f
            .locator('body')
            .innerText()
            .catch(() => ''),
        ),
      );
    await eventually(async () => (await texts()).some((t) => t.includes(summary)), 30_000, 'the workflow summary');
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-summary.png') });
    await receiver.close();
  });

  it("counts failed deliveries as Failed, shows the delivery columns and a failed delivery's failure", async () => {
    const c = api(stack.url, (await givenWorkspace(stack.db)).key);
    const ok = await givenReceiver({ replies: [200] });
    const down = await givenReceiver({ replies: [500] });
    const good = (await c.post('/v1/webhooks', { url: ok.url, events: ['*'], name: 'billing app' })).body;
    const bad = (
      await c.post('/v1/webhooks', {
        url: down.url,
        events: ['invoice.*'],
        name: 'crm sync',
        max_attempts: 2,
        retry_policy: { schedule: ['1s'] },
      })
    ).body;
    // 3 invoice events: 3 successes to billing app, 3 exhausted deliveries to crm sync; 1 more success.
    const events = [];
    for (const type of ['invoice.created', 'invoice.paid', 'invoice.voided', 'task.created'])
      events.push((await c.post('/v1/events', { type, data: {} })).body);
    const failedIds = events.slice(0, 3).map((e) => `delivery:${e.id}:${bad.id}`);
    for (const id of [...failedIds, ...events.map((e) => `delivery:${e.id}:${good.id}`)]) await workflowClosed(stack.client, id);
    const failed = (await stack.client.workflow.count(`WebhookId = '${bad.id}' AND ExecutionStatus = 'Failed'`)).count;
    expect(failed).toBe(3);

    // The list, filtered to this test's webhooks, with the delivery columns added.
    const page = await browser.newPage({ viewport: { width: 1900, height: 700 } });
    const query = encodeURIComponent(`WebhookId IN ("${good.id}", "${bad.id}")`);
    await page.goto(`${dev.uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.getByText(failedIds[0]).first().waitFor({ timeout: 30_000 });
    // The status summary above the list counts the failed deliveries as Failed.
    await page.getByTestId('workflow-status-Failed').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('workflow-status-Failed').innerText()).toMatch(/\b3\b/);
    expect(await page.getByTestId('workflow-status-Completed').innerText()).toMatch(/\b4\b/);
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-home.png') });

    await page.getByTestId('workflows-summary-table-configuration-button').click();
    for (const name of ['Run ID', 'Type', 'Start', 'End']) await page.getByTestId(`orderable-list-item-${name}-remove-button`).click();
    for (const name of ['DeliveryStatus', 'WebhookId', 'EventType'])
      await page.getByTestId(`orderable-list-item-${name}-add-button`).click();
    await page.getByTestId('drawer-close-button').click();
    await page.getByTestId('drawer-close-button').waitFor({ state: 'hidden' });
    await page.getByRole('columnheader', { name: 'DeliveryStatus' }).waitFor();
    await page.getByRole('cell', { name: 'failed', exact: true }).first().waitFor();
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-columns.png') });

    // A failed delivery's page: the failure type and its details, and the current details.
    await page.goto(`${dev.uiUrl}/namespaces/default/workflows/${encodeURIComponent(failedIds[0])}`);
    await page.getByText('DeliveryExhausted').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-failed.png') });
    // Its user metadata: the static summary and details, and the current details (last response).
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.getByText('User Metadata').first().click();
    const texts = async () =>
      (
        await Promise.all(
          page.frames().map((f) =>
            f
              .locator('body')
              .innerText()
              .catch(() => ''),
          ),
        )
      ).join('\n');
    await eventually(
      async () => (await texts()).includes('Attempt budget') && (await texts()).includes('last response: HTTP 500'),
      30_000,
      'the static and current details',
    );
    await page.screenshot({ path: path.join(root, 'docs', 'img', 'web-ui-failed-details.png') });
    await Promise.all([ok.close(), down.close()]);
  });
});
