import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptInput, AttemptResult } from '../../src/delivery/attempt';
import { resolveTestServer } from '../../src/temporal/binaries';
import { ensureSearchAttributes, workflowBundle } from '../../src/temporal/worker';
import type { DeliveryStatusResult } from '../../workflows/definitions';

// The delivery workflow's own control flow (where each attempt runs, what happens when the
// infrastructure fails) on the time-skipping server, with stand-in activities that record how
// they were called. Real activities are covered end to end in test/e2e.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  // The stand-in activities fail on purpose: keep the SDK's warnings about it out of the output.
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: resolveTestServer() } } });
  await ensureSearchAttributes(env.client, 'default');
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

interface Call {
  attemptNo: number;
  isLocal: boolean;
  scheduledAtMs: number | undefined;
}

async function run(attempt: (input: AttemptInput, call: Call) => AttemptResult) {
  const calls: Call[] = [];
  const taskQueue = `wf-${Math.random().toString(36).slice(2)}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
        const call = { attemptNo: input.attemptNo, isLocal: Context.current().info.isLocal, scheduledAtMs: input.scheduledAtMs };
        calls.push(call);
        return attempt(input, call);
      },
      async finishDelivery(): Promise<void> {},
    },
  });
  const workflowId = `delivery:evt_test:${taskQueue}`;
  const outcome = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('deliveryWorkflow', { taskQueue, workflowId, args: [{ deliveryId: 'dlv_test' }] });
    return handle.result().then(
      (r: DeliveryStatusResult) => ({ result: r, error: null }),
      (error: Error) => ({ result: null, error }),
    );
  });
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const kinds = (history.events ?? []).map((e) => {
    if (e.markerRecordedEventAttributes) return `marker:${e.markerRecordedEventAttributes.markerName}`;
    if (e.activityTaskScheduledEventAttributes) return 'activity-scheduled';
    return null;
  });
  return { ...outcome, calls, kinds: kinds.filter((k): k is string => k !== null) };
}

const success: AttemptResult = { status: 'success', nextDelayMs: null, responseCode: 200, errorClass: null };

describe('delivery workflow', () => {
  it('runs a first attempt that succeeds as a local activity: no activity task', async () => {
    const { result, calls, kinds } = await run(() => success);
    expect(result).toMatchObject({ status: 'success', attempts: 1, lastResponseCode: 200 });
    expect(calls).toHaveLength(1);
    expect(calls[0].isLocal).toBe(true);
    expect(typeof calls[0].scheduledAtMs).toBe('number');
    expect(kinds).not.toContain('activity-scheduled');
    expect(kinds.filter((k) => k.startsWith('marker:core_local_activity'))).toHaveLength(1);
  });

  it('runs retries as regular activities after their timer', async () => {
    const { result, calls, kinds } = await run((input) =>
      input.attemptNo < 3 ? { status: 'retrying', nextDelayMs: 3_600_000, responseCode: 500, errorClass: 'http_status' } : success,
    );
    expect(result).toMatchObject({ status: 'success', attempts: 3 });
    expect(calls.map((c) => [c.attemptNo, c.isLocal])).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ]);
    expect(kinds.filter((k) => k === 'activity-scheduled')).toHaveLength(2);
    // Attempt times come from the workflow clock, which the server skipped by an hour each.
    expect(calls[2].scheduledAtMs! - calls[0].scheduledAtMs!).toBeGreaterThanOrEqual(2 * 3_600_000);
  });

  it('moves a first attempt whose infrastructure keeps failing to a regular activity with long retries', async () => {
    let failures = 0;
    const { result, calls } = await run((_input, call) => {
      if (call.isLocal || failures < 4) {
        failures++;
        throw new Error('database unavailable');
      }
      return success;
    });
    expect(result).toMatchObject({ status: 'success', attempts: 1 });
    const local = calls.filter((c) => c.isLocal);
    const regular = calls.filter((c) => !c.isLocal);
    expect(local).toHaveLength(3);
    expect(regular.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.attemptNo))).toEqual(new Set([1]));
  });

  it('fails at once on a non-retryable error (the delivery row is gone) without a regular activity', async () => {
    const { error, calls, kinds } = await run(() => {
      throw ApplicationFailure.nonRetryable('delivery dlv_test not found', 'DeliveryGone');
    });
    expect(error).not.toBeNull();
    expect(calls).toHaveLength(1);
    expect(kinds).not.toContain('activity-scheduled');
  });
});
