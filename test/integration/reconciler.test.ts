import { describe, expect, it } from 'vitest';
import { insertDeliveries } from '../../src/db/repositories/deliveries';
import { getEvent, insertEvent } from '../../src/db/repositories/events';
import { newId } from '../../src/domain/ids';
import { startReconciler } from '../../src/services/dispatch';
import { deliveryWorkflowId } from '../../workflows/definitions';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually, workflowClosed } from '../helpers/wait';

const stack = useStack();

describe('reconciler', () => {
  it('delivers an event whose process died between the commit and the workflow start, exactly once', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const receiver = await givenReceiver();
    const wh = await api(stack.url, key).post('/v1/webhooks', { url: receiver.url, events: ['task.created'] });
    // What POST /v1/events commits before starting workflows; the "crash" skips the start.
    const eventId = newId('evt');
    await stack.db.transaction(async (trx) => {
      await insertEvent(trx, { id: eventId, workspace_id: workspaceId, type: 'task.created', payload: { n: 1 }, idempotency_key: null, request_hash: null });
      await insertDeliveries(trx, [
        { id: newId('dlv'), workspace_id: workspaceId, event_id: eventId, webhook_id: wh.body.id, event_type: 'task.created', is_test: false, workflow_id: deliveryWorkflowId(eventId, wh.body.id) },
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
      expect(await reconciler.runOnce()).toBe(1);
      expect(await workflowClosed(stack.client, workflowId)).toEqual(done);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await reconciler.stop();
      await receiver.close();
    }
  });

  it('frees an event idempotency key after 24 h', async () => {
    const { key, workspaceId } = await givenWorkspace(stack.db);
    const c = api(stack.url, key);
    const first = (await c.post('/v1/events', { type: 'a.b', data: {} }, { 'idempotency-key': 'day-1' })).body;
    await stack.db('events').where({ id: first.id }).update({ created_at: stack.db.raw("now() - interval '25 hours'") });
    const reconciler = startReconciler({ ...stack.deps.dispatch, dispatcher: stack.deps.dispatcher, afterS: 86_400, everyMs: 60_000 });
    await reconciler.runOnce();
    await reconciler.stop();
    const again = (await c.post('/v1/events', { type: 'a.b', data: { other: true } }, { 'idempotency-key': 'day-1' }));
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(first.id);
    expect(await stack.db('events').where({ workspace_id: workspaceId }).count<{ count: string }[]>('* as count')).toEqual([{ count: '2' }]);
  });
});
