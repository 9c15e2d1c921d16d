import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { repairClosedRuns } from '../../src/services/closed-runs';
import { startReconciler } from '../../src/services/dispatch';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { givenReceiver } from '../helpers/receiver';
import { api, givenWorkspace, useStack } from '../helpers/stack';
import { eventually } from '../helpers/wait';

const stack = useStack();

/** `temporal workflow terminate`, as an operator runs it. */
async function terminate(workflowId: string, reason: string): Promise<void> {
  const cli = resolveTemporalCli();
  await promisify(execFile)(cli, [
    'workflow',
    'terminate',
    '--address',
    inject('temporalAddress'),
    '--workflow-id',
    workflowId,
    '--reason',
    reason,
  ]);
}

/** A delivery that failed once and now waits an hour for its retry. */
async function givenWaitingDelivery(replies: number[], schedule = ['1h']) {
  const { key } = await givenWorkspace(stack.db);
  const c = api(stack.url, key);
  const receiver = await givenReceiver({ replies });
  const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], retry_policy: { schedule } })).body;
  const ev = (await c.post('/v1/events', { type: 'task.created', data: {} })).body;
  const deliveryId = ev.deliveries[0].id as string;
  const workflowId = `delivery:${ev.id}:${wh.id}`;
  await eventually(async () => (await c.get(`/v1/deliveries/${deliveryId}`)).body.status === 'retrying', 10_000, 'retrying');
  return { c, receiver, deliveryId, workflowId };
}

describe('a delivery whose workflow is terminated from outside (issue 11, item 9)', () => {
  it('ends `terminated` with the reason in last_error, and can be retried from the API', async () => {
    const { c, receiver, deliveryId, workflowId } = await givenWaitingDelivery([500, 200]);
    await terminate(workflowId, 'stuck endpoint, ops ticket 42');
    // A reconciler as the worker runs it, its closed-run timer shortened from 30 s.
    const reconciler = startReconciler({
      ...stack.deps.dispatch,
      dispatcher: stack.deps.dispatcher,
      afterS: 86_400,
      everyMs: 60_000,
      closedRunsEveryMs: 500,
    });
    const d = await eventually(
      async () => {
        const r = (await c.get(`/v1/deliveries/${deliveryId}`)).body;
        return r.status !== 'retrying' ? r : null;
      },
      30_000,
      'the reconciler to record the terminated run',
    ).finally(() => reconciler.stop());
    expect(d.status).toBe('terminated');
    expect(d.last_error).toMatch(/^workflow terminated by .+: stuck endpoint, ops ticket 42$/);
    expect(d.next_attempt_at).toBeNull();
    expect((await c.get(`/v1/deliveries/${deliveryId}`)).body.status).toBe('terminated');

    // A terminated delivery is final, and a retry starts a new run that continues the numbering.
    expect((await c.post(`/v1/deliveries/${deliveryId}/retry`)).body.action).toBe('restarted');
    const done = await eventually(
      async () => {
        const r = (await c.get(`/v1/deliveries/${deliveryId}`)).body;
        return r.status === 'success' ? r : null;
      },
      15_000,
      'success after the retry',
    );
    expect(done.attempt_log.map((a: { attempt_no: number }) => a.attempt_no)).toEqual([1, 2]);
    expect(done.last_error).toBeNull();
    await receiver.close();
  });

  it('leaves a delivery alone when a newer run of the same workflow id is running', async () => {
    const { c, receiver, deliveryId, workflowId } = await givenWaitingDelivery([500], ['1h', '1h']);
    await terminate(workflowId, 'operator');
    // Before any repair, a retry starts a new run (the row was still `retrying`).
    expect((await c.post(`/v1/deliveries/${deliveryId}/retry`)).body.action).toBe('restarted');
    await receiver.waitFor(2);
    await eventually(async () => (await c.get(`/v1/deliveries/${deliveryId}`)).body.attempts === 2, 10_000, 'the second attempt recorded');
    // Positive signal: visibility lists the old, terminated run as a candidate.
    const query = `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Terminated' AND DeliveryStatus IN ('pending', 'retrying')`;
    await eventually(async () => (await stack.client.workflow.count(query)).count > 0, 15_000, 'the terminated run in visibility');
    await repairClosedRuns(stack.deps.dispatch);
    const d = (await c.get(`/v1/deliveries/${deliveryId}`)).body;
    expect(d.status).not.toBe('terminated');
    expect((await stack.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    await stack.client.workflow.getHandle(workflowId).terminate('test done');
    await receiver.close();
  });
});
