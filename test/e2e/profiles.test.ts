import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { AttemptRow } from '../../src/db/repositories/deliveries';
import { deliveryResult } from '../../src/temporal/delivery-result';
import { givenReceiver, type Receiver } from '../helpers/receiver';
import { eventually } from '../helpers/wait';
import { api, givenWorkspace, useStack } from '../helpers/stack';

// Real activities, real PostgreSQL and a real receiver, on the time-skipping test server: the
// profiles' schedules (up to 48 h) run as they are, never shortened.
const stack = useStack({}, { timeSkipping: true });

const H = 3_600_000;
const M = 60_000;

async function setup(webhook: Record<string, unknown>, replies: NonNullable<Parameters<typeof givenReceiver>[0]>['replies']) {
  const { key } = await givenWorkspace(stack.db);
  const c = api(stack.url, key);
  const receiver = await givenReceiver({ replies });
  const wh = await c.post('/v1/webhooks', { url: receiver.url, events: ['*'], ...webhook });
  expect(wh.status, JSON.stringify(wh.body)).toBe(201);
  return { c, receiver, wh: wh.body as { id: string } };
}

async function publishAndFinish(c: ReturnType<typeof api>, webhookId: string, type = 'task.created') {
  const ev = await c.post('/v1/events', { type, data: { n: 1 } });
  expect(ev.status).toBe(202);
  const workflowId = `delivery:${ev.body.id}:${webhookId}`;
  // Publish answers after the commit; the workflow is started right after (dispatcher).
  await eventually(
    async () => (await stack.db('events').where({ id: ev.body.id }).first())?.dispatched_at != null,
    30_000,
    'event dispatched',
  );
  const result = await deliveryResult(stack.client.workflow.getHandle(workflowId));
  const deliveryId = ev.body.deliveries[0].id as string;
  const attempts = await stack.db<AttemptRow>('delivery_attempts').where({ delivery_id: deliveryId }).orderBy('attempt_no');
  return {
    result,
    workflowId,
    deliveryId,
    attempts,
    gaps: attempts.slice(1).map((a, i) => a.started_at.getTime() - attempts[i].started_at.getTime()),
  };
}

/** A retry comes its delay after the failed attempt ended: delay ≤ gap < delay + 5 s. */
function expectGaps(gaps: number[], delays: number[]) {
  expect(gaps).toHaveLength(delays.length);
  gaps.forEach((gap, i) => {
    expect(gap, `gap ${i + 1}`).toBeGreaterThanOrEqual(delays[i]);
    expect(gap, `gap ${i + 1}`).toBeLessThan(delays[i] + 5000);
  });
}

const notifications = async (webhookId: string) =>
  (await stack.db('notifications').where({ webhook_id: webhookId }).orderBy('id')).map((n) => ({ kind: n.kind, ...n.payload }));

/** How the delivery's workflow closed, as the Web UI and `ExecutionStatus` see it. */
async function closedAs(workflowId: string) {
  const handle = stack.client.workflow.getHandle(workflowId);
  const failure = await handle.result().then(
    () => null,
    (err: unknown) => (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure ? err.cause : null),
  );
  const d = await handle.describe();
  return {
    status: d.status.name,
    deliveryStatus: d.searchAttributes.DeliveryStatus,
    type: failure?.type,
    nonRetryable: failure?.nonRetryable,
    details: failure?.details?.[0],
  };
}

const closeAll = (...rs: Receiver[]) => Promise.all(rs.map((r) => r.close()));

describe('profiles on the time-skipping server', () => {
  it('productive: 13 attempts over 48 h, one endpoint.failing at the third failure, disabled after the 12th retry', async () => {
    const { c, receiver, wh } = await setup({ profile: 'productive' }, [500]);
    const { result, workflowId, attempts, gaps } = await publishAndFinish(c, wh.id);
    expect(result.status).toBe('failed');
    expect(attempts).toHaveLength(13);
    expectGaps(gaps, Array(12).fill(4 * H));
    const span = attempts[12].started_at.getTime() - attempts[0].started_at.getTime();
    expect(span).toBeGreaterThanOrEqual(48 * H);
    expect(span).toBeLessThan(48 * H + M);
    const ns = await notifications(wh.id);
    expect(ns.map((n) => n.kind)).toEqual(['endpoint.failing', 'delivery.exhausted', 'endpoint.disabled']);
    expect(ns[0]).toMatchObject({ consecutive_failures: 3 });
    const after = await c.get(`/v1/webhooks/${wh.id}`);
    expect(after.body).toMatchObject({ status: 'disabled', consecutive_failures: 13 });
    expect(receiver.requests).toHaveLength(13);
    // Temporal counts it as a failure; DeliveryStatus keeps the precise state.
    expect(await closedAs(workflowId)).toMatchObject({
      status: 'FAILED',
      deliveryStatus: ['failed'],
      type: 'DeliveryExhausted',
      nonRetryable: true,
      details: { status: 'failed', attempts: 13, lastResponseCode: 500, errorClass: 'http_status' },
    });
    await closeAll(receiver);
  });

  it('gitproductivity: a test on create, retries at 1m, 5m, 30m, 2h, 24h, then failed with one delivery.exhausted', async () => {
    const { c, receiver, wh } = await setup({ profile: 'gitproductivity' }, [500]);
    await receiver.waitFor(1);
    expect(JSON.parse(receiver.requests[0].body).type).toBe('webhook.test');
    const { result, attempts, gaps } = await publishAndFinish(c, wh.id, 'developer.added');
    expect(result.status).toBe('failed');
    expect(attempts).toHaveLength(6);
    expectGaps(gaps, [1 * M, 5 * M, 30 * M, 2 * H, 24 * H]);
    const ns = await notifications(wh.id);
    expect(ns.filter((n) => n.kind === 'delivery.exhausted')).toHaveLength(1);
    expect(ns.filter((n) => n.kind === 'endpoint.disabled')).toHaveLength(0);
    expect((await c.get(`/v1/webhooks/${wh.id}`)).body.status).toBe('active');
    await closeAll(receiver);
  });

  it('generic: 1m, 5m, 30m, disabled after 3 failed retries; test, enable and replay then deliver', async () => {
    const { c, receiver, wh } = await setup({ profile: 'generic' }, [500, 500, 500, 500, 200]);
    const first = await publishAndFinish(c, wh.id);
    expect(first.result.status).toBe('failed');
    expectGaps(first.gaps, [1 * M, 5 * M, 30 * M]);
    expect((await c.get(`/v1/webhooks/${wh.id}`)).body).toMatchObject({
      status: 'disabled',
      disabled_reason: expect.stringMatching(/failed after 4 attempts/),
    });

    // Published while disabled: recorded as skipped, nothing sent (recovered below).
    const ignored = await c.post('/v1/events', { type: 'task.created', data: {} });
    expect(ignored.body.deliveries).toEqual([expect.objectContaining({ webhook_id: wh.id, status: 'skipped' })]);

    // Seed 002: fix the endpoint, test, re-enable, then replay what failed.
    const test = await c.post(`/v1/webhooks/${wh.id}/test`);
    expect(test.body).toMatchObject({ status: 'success', response_code: 200 });
    expect((await c.post(`/v1/webhooks/${wh.id}/enable`)).body).toMatchObject({ status: 'active', consecutive_failures: 0 });
    const since = new Date(Date.now() - H).toISOString();
    const replay = await c.post(`/v1/webhooks/${wh.id}/replay`, { since });
    expect(replay.body).toEqual({ queued: 1 });
    const final = await deliveryResult(
      stack.client.workflow.getHandle(`delivery:${(await c.get(`/v1/deliveries/${first.deliveryId}`)).body.event_id}:${wh.id}`),
    );
    expect(final.status).toBe('success');
    const d = await c.get(`/v1/deliveries/${first.deliveryId}`);
    expect(
      d.body.attempt_log.map((a: { attempt_no: number; trigger: string; response_code: number }) => [
        a.attempt_no,
        a.trigger,
        a.response_code,
      ]),
    ).toEqual([
      [1, 'scheduled', 500],
      [2, 'scheduled', 500],
      [3, 'scheduled', 500],
      [4, 'scheduled', 500],
      [5, 'replay', 200],
    ]);
    // The receiver saw the same delivery id on the replay.
    const ids = receiver.requests.filter((r) => JSON.parse(r.body).event === 'task.created').map((r) => r.headers['x-webhook-id']);
    expect(new Set(ids)).toEqual(new Set([first.deliveryId]));
    expect((await c.post(`/v1/webhooks/${wh.id}/replay`, { since: new Date(Date.now() - 20 * 24 * H).toISOString() })).status).toBe(422);
    // The event published while it was disabled, recovered now that it is enabled again.
    expect((await c.post(`/v1/webhooks/${wh.id}/recover`, { since })).body).toEqual({ queued: 1 });
    expect((await deliveryResult(stack.client.workflow.getHandle(`delivery:${ignored.body.id}:${wh.id}`))).status).toBe('success');
    expect(receiver.requests.at(-1)!.headers['x-webhook-id']).toBe(ignored.body.deliveries[0].id);
    await closeAll(receiver);
  });

  it('basic: max_attempts 4 gives exactly 4 attempts', async () => {
    const { c, receiver, wh } = await setup({ profile: 'basic', max_attempts: 4 }, [503]);
    const { result, attempts } = await publishAndFinish(c, wh.id);
    expect(result.status).toBe('failed');
    expect(attempts).toHaveLength(4);
    expect(receiver.requests[0].headers['x-signature']).toBeUndefined(); // no secret, no signature
    await closeAll(receiver);
  });

  it('recovery: three failures then a success give endpoint.failing then endpoint.recovered, streak 0', async () => {
    const { c, receiver, wh } = await setup({}, [500, 500, 500, 200]);
    const { result, gaps } = await publishAndFinish(c, wh.id);
    expect(result.status).toBe('success');
    expectGaps(gaps, [5000, 5 * M, 30 * M]);
    expect((await notifications(wh.id)).map((n) => n.kind)).toEqual(['endpoint.failing', 'endpoint.recovered']);
    expect((await c.get(`/v1/webhooks/${wh.id}`)).body).toMatchObject({ consecutive_failures: 0, failing_since: null });
    await closeAll(receiver);
  });

  it('410 Gone disables the webhook at once', async () => {
    const { c, receiver, wh } = await setup({}, [410]);
    const { result, attempts } = await publishAndFinish(c, wh.id);
    expect(result.status).toBe('failed');
    expect(attempts).toHaveLength(1);
    expect((await c.get(`/v1/webhooks/${wh.id}`)).body).toMatchObject({
      status: 'disabled',
      disabled_reason: expect.stringMatching(/410/),
    });
    await closeAll(receiver);
  });

  it('Retry-After: 120 on a 1m step waits 120 s', async () => {
    const { c, receiver, wh } = await setup({ profile: 'generic' }, [{ status: 429, headers: { 'retry-after': '120' } }, 200]);
    const { result, gaps } = await publishAndFinish(c, wh.id);
    expect(result.status).toBe('success');
    expectGaps(gaps, [120_000]);
    await closeAll(receiver);
  });

  it('a policy change applies to the next wait of an in-flight delivery', async () => {
    const { c, receiver, wh } = await setup({ retry_policy: { schedule: ['1h', '1h'] } }, [500, 500, 200]);
    const ev = (await c.post('/v1/events', { type: 'a.b', data: {} })).body;
    await receiver.waitFor(1); // attempt 1 failed; the workflow now waits 1 h (time does not skip meanwhile)
    expect((await c.patch(`/v1/webhooks/${wh.id}`, { retry_policy: { schedule: ['10m'] } })).status).toBe(200);
    const result = await deliveryResult(stack.client.workflow.getHandle(`delivery:${ev.id}:${wh.id}`));
    expect(result.status).toBe('success');
    const attempts = await stack.db<AttemptRow>('delivery_attempts').where({ delivery_id: ev.deliveries[0].id }).orderBy('attempt_no');
    expectGaps(
      attempts.slice(1).map((a, i) => a.started_at.getTime() - attempts[i].started_at.getTime()),
      [H, 10 * M],
    );
    await closeAll(receiver);
  });

  it('a delivery waiting while its webhook is disabled ends abandoned at its next wake-up', async () => {
    const { c, receiver, wh } = await setup({}, [500]);
    const ev = (await c.post('/v1/events', { type: 'a.b', data: {} })).body;
    await receiver.waitFor(1);
    await c.post(`/v1/webhooks/${wh.id}/disable`);
    const result = await deliveryResult(stack.client.workflow.getHandle(`delivery:${ev.id}:${wh.id}`));
    expect(result.status).toBe('abandoned');
    expect((await c.get(`/v1/deliveries/${ev.deliveries[0].id}`)).body).toMatchObject({ status: 'abandoned', attempts: 1 });
    expect(await closedAs(`delivery:${ev.id}:${wh.id}`)).toMatchObject({
      status: 'FAILED',
      deliveryStatus: ['abandoned'],
      type: 'DeliveryAbandoned',
      details: { attempts: 1 },
    });
    expect(receiver.requests).toHaveLength(1);
    await closeAll(receiver);
  });

  it('disable_after_failing_for disables a webhook whose streak is older than the limit', async () => {
    const { c, receiver, wh } = await setup(
      { retry_policy: { schedule: ['30m'], disable_after_failing_for: '1h' }, max_attempts: 10 },
      [500],
    );
    const { result, attempts } = await publishAndFinish(c, wh.id);
    // Failing since attempt 1; attempt 3 comes 60 min later and crosses the limit; the delivery
    // then ends abandoned at its next wake-up.
    expect(attempts).toHaveLength(3);
    expect(result.status).toBe('abandoned');
    expect((await c.get(`/v1/webhooks/${wh.id}`)).body).toMatchObject({
      status: 'disabled',
      disabled_reason: expect.stringMatching(/^failing since/),
    });
    expect((await notifications(wh.id)).map((n) => n.kind)).toEqual(['endpoint.failing', 'endpoint.disabled']);
    await closeAll(receiver);
  });
});
