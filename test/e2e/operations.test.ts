import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { describe, expect, inject, it } from 'vitest';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { ensureRetentionSchedule } from '../../src/temporal/retention';
import { statusQuery } from '../../workflows/definitions';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

const run = promisify(execFile);
const stack = useStack();

/** A delivery that failed once and now waits an hour for its retry. */
async function givenWaitingDelivery(replies = [500, 200]) {
  const { key } = await givenWorkspace(stack.db);
  const c = api(stack.url, key);
  const receiver = await givenReceiver({ replies });
  const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1h'] } })).body;
  const ev = (await c.post('/v1/events', { type: 'task.created', data: {} })).body;
  const deliveryId = ev.deliveries[0].id as string;
  const workflowId = `delivery:${ev.id}:${wh.id}`;
  await eventually(async () => (await c.get(`/v1/deliveries/${deliveryId}`)).body.status === 'retrying', 10_000, 'retrying');
  return { c, receiver, webhookId: wh.id as string, deliveryId, workflowId };
}

/** Waits for the run to close and checks it closed as Canceled with DeliveryStatus cancelled. */
async function expectCancelled(workflowId: string) {
  const handle = stack.client.workflow.getHandle(workflowId);
  const err = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const d = await handle.describe();
  expect(d.status.name).toBe('CANCELLED');
  expect(d.searchAttributes.DeliveryStatus).toEqual(['cancelled']);
}

describe('operator and user control', () => {
  it('counts one endpoint.failing for 20 deliveries failing at the same moment', async () => {
    const { key } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const receiver = await givenReceiver({ replies: [500] });
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1h'] } })).body;
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.post('/v1/events', { type: 'burst.test', data: { i } })));
    await receiver.waitFor(20);
    const webhook = await eventually(
      async () => {
        const w = (await c.get(`/v1/webhooks/${wh.id}`)).body;
        return w.consecutive_failures === 20 ? w : null;
      },
      15_000,
      '20 failures',
    );
    expect(webhook.failing_since).not.toBeNull();
    const ns = (await c.get(`/v1/notifications?webhook_id=${wh.id}`)).body.data;
    expect(ns.map((n: { kind: string }) => n.kind)).toEqual(['endpoint.failing']);
    await receiver.close();
  });

  it('sends notifications to the workspace notification URL as signed webhooks, never about themselves', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const notified = await givenReceiver({ replies: [500] });
    const settings = await c.patch('/v1/workspace', { notification_url: notified.url, notification_kinds: ['endpoint.failing'] });
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    expect(settings.body.notification_secret).toMatch(/^whsec_/);
    expect((await c.get('/v1/workspace/notification-secret')).body.secret).toBe(settings.body.notification_secret);
    expect((await c.get('/v1/webhooks')).body.data).toEqual([]); // the system webhook stays hidden

    // The notification endpoint is one failure short of a failing streak, so if its own failures
    // counted, the 500 below would cross the threshold and notify about itself.
    const sys = await stack.db('webhooks').where({ workspace_id: workspaceId, is_system: true }).first();
    await stack
      .db('webhooks')
      .where({ id: sys.id })
      .update({ consecutive_failures: sys.retry_policy.notify_after_consecutive_failures - 1 });

    const receiver = await givenReceiver({ replies: [500] });
    const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule: ['1h'] } })).body;
    for (let i = 0; i < 3; i++) await c.post('/v1/events', { type: 'a.b', data: { i } });
    const [n] = await notified.waitFor(1);
    new Webhook(settings.body.notification_secret).verify(n.body, n.headers as Record<string, string>);
    expect(JSON.parse(n.body)).toMatchObject({ type: 'endpoint.failing', data: { webhook_id: wh.id, consecutive_failures: 3 } });
    // The notification endpoint answered 500: once that attempt is recorded (the same transaction
    // that would store a notification), it has created no notification of its own.
    await eventually(
      async () =>
        (await stack
          .db('delivery_attempts')
          .join('deliveries', 'deliveries.id', 'delivery_attempts.delivery_id')
          .where({ 'deliveries.webhook_id': sys.id })
          .first()) ?? null,
      15_000,
      'the notification attempt row',
    );
    const kinds = (await c.get('/v1/notifications')).body.data.map((x: { kind: string; webhook_id: string }) => [x.kind, x.webhook_id]);
    expect(kinds).toEqual([['endpoint.failing', wh.id]]);
    await Promise.all([notified.close(), receiver.close()]);
  });

  it('retry through the API attempts a waiting delivery now; status query shows the wait', async () => {
    const { c, receiver, deliveryId, workflowId } = await givenWaitingDelivery();
    const status = await stack.client.workflow.getHandle(workflowId).query(statusQuery);
    expect(status).toMatchObject({ status: 'retrying', attempts: 1, lastResponseCode: 500 });
    const wait = new Date(status.nextAttemptAt!).getTime() - Date.now();
    expect(wait).toBeGreaterThan(55 * 60_000);
    expect((await c.post(`/v1/deliveries/${deliveryId}/retry`)).body).toEqual({ id: deliveryId, action: 'signalled' });
    await receiver.waitFor(2);
    const d = await eventually(async () => {
      const r = (await c.get(`/v1/deliveries/${deliveryId}`)).body;
      return r.status === 'success' ? r : null;
    });
    expect(d.attempt_log.map((a: { trigger: string }) => a.trigger)).toEqual(['scheduled', 'manual']);
    // A finished delivery is resent as a new run with the same delivery id.
    expect((await c.post(`/v1/deliveries/${deliveryId}/retry`)).body.action).toBe('restarted');
    await receiver.waitFor(3);
    expect(receiver.requests[2].headers['webhook-id']).toBe(deliveryId);
    await receiver.close();
  });

  it('cancel through the API ends the delivery cancelled; a second cancel is 409', async () => {
    const { c, receiver, deliveryId, workflowId } = await givenWaitingDelivery([500]);
    expect((await c.post(`/v1/deliveries/${deliveryId}/cancel`)).status).toBe(202);
    // A native cancel: the run closes as Canceled once the row says cancelled.
    await expectCancelled(workflowId);
    expect((await c.get(`/v1/deliveries/${deliveryId}`)).body.status).toBe('cancelled');
    expect((await stack.client.workflow.getHandle(workflowId).describe()).searchAttributes.DeliveryStatus).toEqual(['cancelled']);
    expect((await c.post(`/v1/deliveries/${deliveryId}/cancel`)).status).toBe(409);
    expect(receiver.requests).toHaveLength(1);
    await receiver.close();
  });

  it('cancel of a delivery whose row is already final is 409 while its run has not closed yet', async () => {
    // The window between an attempt recording `success` and its run closing, held open: the row
    // says success while the workflow still runs (here: asleep on its retry timer).
    const { c, receiver, deliveryId, workflowId } = await givenWaitingDelivery([500]);
    await stack.db('deliveries').where({ id: deliveryId }).update({ status: 'success' });
    expect((await stack.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    const r = await c.post(`/v1/deliveries/${deliveryId}/cancel`);
    expect(r.status).toBe(409);
    expect(r.body.detail).toContain('already success');
    expect((await stack.client.workflow.getHandle(workflowId).query(statusQuery)).status).toBe('retrying');
    await stack.client.workflow.getHandle(workflowId).terminate('test done');
    await receiver.close();
  });

  it('every temporal CLI command in docs/operations.md works against a real server', async () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/operations.md'), 'utf8');
    const commands = [...doc.matchAll(/```sh\n(temporal [^\n]+)\n```/g)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    const cli = resolveTemporalCli();
    const taskQueue = stack.config.TEMPORAL_TASK_QUEUE;
    await ensureRetentionSchedule(stack.client, { taskQueue, retentionDays: 30 });
    let current = await givenWaitingDelivery([500]);
    for (const command of commands) {
      if (/cancel|terminate/.test(command)) current = await givenWaitingDelivery([500]);
      const env = {
        ...process.env,
        PATH: `${path.dirname(cli)}:${process.env.PATH}`,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: taskQueue,
        WEBHOOK_ID: current.webhookId,
        WORKFLOW_ID: current.workflowId,
      };
      // Visibility is eventually consistent: list/count may need a moment.
      const out = await eventually(
        async () => {
          const { stdout } = await run('bash', ['-c', command], { env });
          return /list|count/.test(command) && !/[1-9]/.test(stdout) ? null : stdout;
        },
        10_000,
        command,
      );
      if (command.includes('workflow list')) expect(out).toContain(current.workflowId);
      if (command.includes('workflow query')) expect(out).toMatch(/"attempts":\s*1/);
      if (command.includes('workflow describe')) expect(out).toContain('WebhookId');
      if (command.includes('retry-now')) await current.receiver.waitFor(2);
      if (command.includes('--name cancel')) {
        const r = await stack.client.workflow.getHandle(current.workflowId).result();
        expect(r.status).toBe('cancelled');
      }
      if (command.includes('workflow cancel')) {
        // Exactly what the API's cancel does: the row says cancelled, the run closes as Canceled.
        await expectCancelled(current.workflowId);
        expect((await current.c.get(`/v1/deliveries/${current.deliveryId}`)).body.status).toBe('cancelled');
      }
      if (command.includes('terminate')) {
        expect((await stack.client.workflow.getHandle(current.workflowId).describe()).status.name).toBe('TERMINATED');
      }
      if (command.includes('schedule describe')) expect(out).toContain('retentionWorkflow');
    }
    await ensureRetentionSchedule(stack.client, { taskQueue, retentionDays: 0 });
  });

  it('links a delivery to its workflow: run id and Web UI page in the API, `delivery show` with working commands', async () => {
    const { c, receiver, deliveryId, workflowId } = await givenWaitingDelivery([500]);
    const { runId } = await stack.client.workflow.getHandle(workflowId).describe();
    const d = (await c.get(`/v1/deliveries/${deliveryId}`)).body;
    expect(d).toMatchObject({ workflow_id: workflowId, run_id: runId });
    expect(d.temporal_ui_url).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`);

    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      HOOKFLOW_TEMPORAL_UI_URL: 'https://temporal.example.com/',
    };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'delivery', 'show', deliveryId], {
      cwd: path.resolve(__dirname, '../..'),
      env,
    });
    expect(stdout).toContain(`delivery   ${deliveryId} (retrying)`);
    expect(stdout).toContain(`run ${runId} (RUNNING)`);
    expect(stdout).toContain(
      `web UI     https://temporal.example.com/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`,
    );
    expect(stdout).toMatch(/^1 +\S+ +scheduled +500 +http_status/m);
    // The printed commands work as printed.
    const commands = stdout.split('\n').filter((l) => / workflow (describe|query) /.test(l));
    expect(commands).toHaveLength(2);
    for (const command of commands) {
      const out = (await run('bash', ['-c', command], { cwd: path.resolve(__dirname, '../..') })).stdout;
      expect(out).toMatch(command.includes('query') ? /"attempts":\s*1/ : /WebhookId/);
    }
    await receiver.close();
  });
});
