import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/db/embedded';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { startDevServer } from '../../src/temporal/dev-server';
import { insertDeliveries } from '../../src/db/repositories/deliveries';
import { getEvent, insertEvent } from '../../src/db/repositories/events';
import { newId } from '../../src/domain/ids';
import { startReconciler } from '../../src/services/dispatch';
import { deliveryWorkflowId } from '../../workflows/definitions';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually, workflowClosed } from '../helpers/wait';

const root = path.resolve(__dirname, '..', '..');

const stack = useStack();

describe('reconciler', () => {
  it('delivers an event whose process died between the commit and the workflow start, exactly once', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const receiver = await givenReceiver();
    const wh = await api(stack.url, key).post('/v1/webhooks', { url: receiver.url, events: ['task.created'] });
    // What POST /v1/events commits before starting workflows; the "crash" skips the start.
    const eventId = newId('evt');
    await stack.db.transaction(async (trx) => {
      await insertEvent(trx, {
        id: eventId,
        workspace_id: workspaceId,
        type: 'task.created',
        payload: { n: 1 },
        idempotency_key: null,
        request_hash: null,
      });
      await insertDeliveries(trx, [
        {
          id: newId('dlv'),
          workspace_id: workspaceId,
          event_id: eventId,
          webhook_id: wh.body.id,
          event_type: 'task.created',
          is_test: false,
          workflow_id: deliveryWorkflowId(eventId, wh.body.id),
        },
      ]);
    });
    const reconciler = startReconciler({ ...stack.deps.dispatch, dispatcher: stack.deps.dispatcher, afterS: 0, everyMs: 60_000 });
    try {
      await receiver.waitFor(1);
      await eventually(async () => (await getEvent(stack.db, workspaceId, eventId))?.dispatched_at);
      const workflowId = deliveryWorkflowId(eventId, wh.body.id);
      const done = await workflowClosed(stack.client, workflowId);
      expect(done.status).toBe('COMPLETED');
      // A second pass (e.g. another replica racing) starts nothing new. runOnce returns after
      // its start calls answered, so a new run would exist by now under the same workflow id.
      await stack.db('events').where({ id: eventId }).update({ dispatched_at: null });
      // Test files share one database: another file's undispatched events may be in the pass too.
      expect(await reconciler.runOnce()).toBeGreaterThanOrEqual(1);
      await eventually(async () => (await getEvent(stack.db, workspaceId, eventId))?.dispatched_at, 10_000, 'marked again');
      expect(await workflowClosed(stack.client, workflowId)).toEqual(done);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await reconciler.stop();
      await receiver.close();
    }
  });

  it('delivers every event a killed API process had accepted but not started, each once', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const receiver = await givenReceiver();
    // The API process's own Temporal, frozen after start-up: it accepts events but can start none.
    const dev = await startDevServer({ cli: resolveTemporalCli(), dataDir: null, port: await freePort(), uiPort: null });
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: stack.config.TEMPORAL_TASK_QUEUE,
      HOOKFLOW_ENCRYPTION_KEY: inject('encryptionKey'),
      HOOKFLOW_DATA_DIR: stack.config.dataDir,
      PORT: String(port),
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'api'], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const reconciler = startReconciler({ ...stack.deps.dispatch, dispatcher: stack.deps.dispatcher, afterS: 0, everyMs: 60_000 });
    try {
      const c = api(`http://127.0.0.1:${port}`, key);
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok,
        60_000,
        `the API process (${stderr})`,
      );
      expect((await c.post('/v1/webhooks', { url: receiver.url, events: ['*'] })).status).toBe(201);
      process.kill(dev.process.pid!, 'SIGSTOP');
      const accepted = await Promise.all(Array.from({ length: 10 }, (_, i) => c.post('/v1/events', { type: 'task.created', data: { i } })));
      expect(accepted.map((r) => r.status)).toEqual(Array(10).fill(202));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      // Accepted and stored, none started: only the reconciler can deliver them now.
      expect(
        await stack.db('events').where({ workspace_id: workspaceId }).whereNotNull('dispatched_at').count<{ n: string }[]>('* as n'),
      ).toEqual([{ n: '0' }]);
      expect(await reconciler.runOnce()).toBeGreaterThanOrEqual(10);
      const got = await receiver.waitFor(10);
      const ids = new Set(got.map((r) => r.headers['webhook-id']));
      expect([...ids].sort()).toEqual(accepted.map((r) => r.body.deliveries[0].id).sort());
      await eventually(
        async () =>
          (await stack.db('deliveries').where({ workspace_id: workspaceId, status: 'success' }).count<{ n: string }[]>('* as n'))[0].n ===
          '10',
        15_000,
        'all recorded',
      );
      expect(receiver.requests).toHaveLength(10);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      process.kill(dev.process.pid!, 'SIGCONT');
      await reconciler.stop();
      await dev.stop();
      await receiver.close();
    }
  }, 120_000);

  it('frees an event idempotency key after 24 h', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const first = (await c.post('/v1/events', { type: 'a.b', data: {} }, { 'idempotency-key': 'day-1' })).body;
    await stack
      .db('events')
      .where({ id: first.id })
      .update({ created_at: stack.db.raw("now() - interval '25 hours'") });
    const reconciler = startReconciler({ ...stack.deps.dispatch, dispatcher: stack.deps.dispatcher, afterS: 86_400, everyMs: 60_000 });
    await reconciler.runOnce();
    await reconciler.stop();
    const again = await c.post('/v1/events', { type: 'a.b', data: { other: true } }, { 'idempotency-key': 'day-1' });
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(first.id);
    expect(await stack.db('events').where({ workspace_id: workspaceId }).count<{ count: string }[]>('* as count')).toEqual([
      { count: '2' },
    ]);
  });
});
