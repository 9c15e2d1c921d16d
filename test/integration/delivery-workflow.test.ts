import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptInput, AttemptResult } from '../../src/delivery/attempt';
import { resolveTestServer } from '../../src/temporal/binaries';
import { ensureSearchAttributes, workflowBundle } from '../../src/temporal/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { cancelSignal, retryNowSignal, statusQuery, type DeliveryStatusResult } from '../../workflows/definitions';

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
  trigger: AttemptInput['trigger'];
  isLocal: boolean;
  scheduledAtMs: number | undefined;
}

type Handle = ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>;

/**
 * Runs one delivery workflow with a stand-in attempt activity. `steer` runs after the start,
 * before the result is awaited: the time-skipping server only skips time while a result is
 * awaited, so the delivery is still in its first wait when `steer` acts.
 */
async function run(
  attempt: (input: AttemptInput, call: Call, handle: Handle) => AttemptResult | Promise<AttemptResult>,
  steer?: (handle: Handle) => Promise<void>,
) {
  const calls: Call[] = [];
  const finished: string[] = [];
  const taskQueue = `wf-${Math.random().toString(36).slice(2)}`;
  const workflowId = `delivery:evt_test:${taskQueue}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
        const call = {
          attemptNo: input.attemptNo,
          trigger: input.trigger,
          isLocal: Context.current().info.isLocal,
          scheduledAtMs: input.scheduledAtMs,
        };
        calls.push(call);
        return attempt(input, call, env.client.workflow.getHandle(workflowId));
      },
      async finishDelivery(input: { status: string }): Promise<void> {
        finished.push(input.status);
      },
    },
  });
  const outcome = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('deliveryWorkflow', { taskQueue, workflowId, args: [{ deliveryId: 'dlv_test' }] });
    await steer?.(handle);
    const closed = await handle.result().then(
      (r: DeliveryStatusResult) => ({ result: r, error: null }),
      (error: Error) => ({ result: null, error }),
    );
    // A closed workflow's query is answered by a worker replaying it: ask while this one runs.
    return { ...closed, final: await handle.query(statusQuery) };
  });
  const handle = env.client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const kinds = (history.events ?? []).map((e) => {
    if (e.markerRecordedEventAttributes) return `marker:${e.markerRecordedEventAttributes.markerName}`;
    if (e.activityTaskScheduledEventAttributes) return 'activity-scheduled';
    return null;
  });
  return { ...outcome, calls, finished, handle, kinds: kinds.filter((k): k is string => k !== null) };
}

/** Waits (bounded) until the delivery sleeps after its first failed attempt. */
async function waitUntilRetrying(handle: Handle): Promise<DeliveryStatusResult> {
  for (let i = 0; i < 200; i++) {
    const s = await handle.query(statusQuery);
    if (s.status === 'retrying') return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the delivery never reached retrying');
}

const HOUR = 3_600_000;
const failing = (nextDelayMs = HOUR): AttemptResult => ({ status: 'retrying', nextDelayMs, responseCode: 500, errorClass: 'http_status' });

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

  it('retry-now while sleeping attempts at once, then the schedule resumes', async () => {
    const { result, calls } = await run(
      (input) => (input.attemptNo < 3 ? failing() : success),
      async (handle) => {
        await waitUntilRetrying(handle);
        await handle.signal(retryNowSignal);
      },
    );
    expect(result).toMatchObject({ status: 'success', attempts: 3 });
    expect(calls.map((c) => [c.attemptNo, c.trigger])).toEqual([
      [1, 'scheduled'],
      [2, 'manual'],
      [3, 'scheduled'],
    ]);
    // Attempt 2 did not wait for the hour; attempt 3 waited its full hour after attempt 2.
    expect(calls[1].scheduledAtMs! - calls[0].scheduledAtMs!).toBeLessThan(HOUR);
    expect(calls[2].scheduledAtMs! - calls[1].scheduledAtMs!).toBeGreaterThanOrEqual(HOUR);
  });

  it('a native cancel while sleeping records cancelled and closes the run as Canceled', async () => {
    const { error, calls, finished, handle, final } = await run(
      () => failing(),
      async (h) => {
        await waitUntilRetrying(h);
        await h.cancel();
      },
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(calls).toHaveLength(1);
    expect(finished).toEqual(['cancelled']);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(final).toMatchObject({ status: 'cancelled', attempts: 1, nextAttemptAt: null });
  });

  it('a native cancel during an attempt lets the attempt finish and be recorded, then cancels', async () => {
    const { error, calls, finished, final } = await run(async (input, _call, handle) => {
      if (input.attemptNo === 2) await handle.cancel();
      return { ...failing(), responseCode: 502 };
    });
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(calls.map((c) => c.attemptNo)).toEqual([1, 2]);
    expect(finished).toEqual(['cancelled']);
    // The workflow waited for attempt 2's outcome instead of abandoning it at the cancel request.
    expect(final).toMatchObject({ status: 'cancelled', attempts: 2, lastResponseCode: 502 });
  });

  it('the cancel signal while sleeping records cancelled and completes the run', async () => {
    const { result, calls, finished } = await run(
      () => failing(),
      async (h) => {
        await waitUntilRetrying(h);
        await h.signal(cancelSignal);
      },
    );
    expect(result).toMatchObject({ status: 'cancelled', attempts: 1, nextAttemptAt: null });
    expect(calls).toHaveLength(1);
    expect(finished).toEqual(['cancelled']);
  });

  it('answers the status query with the state before each attempt and after the last one', async () => {
    const seen: DeliveryStatusResult[] = [];
    const {
      error,
      handle,
      calls,
      final: afterClose,
    } = await run(async (input, _call, h) => {
      // The first attempt runs inside the first workflow task, which a query would wait for.
      if (input.attemptNo > 1) seen.push(await h.query(statusQuery));
      return input.attemptNo < 4
        ? failing(input.attemptNo * HOUR)
        : { status: 'failed', nextDelayMs: null, responseCode: 503, errorClass: 'http_status' };
    });
    expect(seen.map((s) => [s.status, s.attempts, s.lastResponseCode])).toEqual([
      ['retrying', 1, 500],
      ['retrying', 2, 500],
      ['retrying', 3, 500],
    ]);
    // Each wait's announced time is when the next attempt ran.
    seen.forEach((s, i) => expect(new Date(s.nextAttemptAt!).getTime()).toBeLessThanOrEqual(calls[i + 1].scheduledAtMs!));
    seen.forEach((s, i) => expect(new Date(s.nextAttemptAt!).getTime() - calls[i].scheduledAtMs!).toBeGreaterThanOrEqual((i + 1) * HOUR));
    const final = { status: 'failed', attempts: 4, lastResponseCode: 503, nextAttemptAt: null };
    expect(afterClose).toEqual(final);
    // Closed as Failed, with the final state and the last error class in the failure's details.
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('DeliveryExhausted');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.details).toEqual([{ ...final, errorClass: 'http_status' }]);
    expect((await handle.describe()).status.name).toBe('FAILED');
  });
});
