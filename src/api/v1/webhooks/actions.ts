import { Router, type Response } from 'express';
import { z } from 'zod';
import * as deliveriesRepo from '../../../db/repositories/deliveries';
import * as repo from '../../../db/repositories/webhooks';
import { PROFILES } from '../../../domain/profiles';
import { MAX_REPLAY_RANGE_MS, replayDeliveries, startTestDelivery } from '../../../services/operations';
import { generateSecret } from '../../../signing/sign';
import type { ApiDeps } from '../../deps';
import { invalid, notFound, ProblemError } from '../../errors';
import { route, type Input } from '../../route';
import { assertCapacity, loadWebhook, validateSecret } from './crud';
import { IdParams, QueuedOut, RecoverIn, ReplayIn, RotateIn, SecretOut, TestResultOut, toWebhookOut, WebhookOut } from './schemas';

type ById = Input<{ params: typeof IdParams }>;

/** Sends a webhook.test event now and returns the attempt's outcome (any status). */
export async function sendWebhookTest(deps: ApiDeps, input: ById, res: Response) {
  const webhook = await loadWebhook(deps, input);
  const { deliveryId, result } = await startTestDelivery(deps.dispatch, webhook);
  await result();
  const d = (await deliveriesRepo.getDeliveryById(deps.db, deliveryId))!;
  res.json({
    delivery_id: d.id,
    status: d.status,
    response_code: d.last_response_code,
    response_time_ms: d.last_response_time_ms,
    error: d.last_error,
  });
}

export async function enableWebhook(deps: ApiDeps, input: ById, res: Response) {
  const webhook = await loadWebhook(deps, input);
  if (webhook.status !== 'active') await assertCapacity(deps, webhook.workspace_id);
  const row = await repo.updateWebhook(deps.db, webhook.workspace_id, webhook.id, {
    status: 'active',
    disabled_reason: null,
    consecutive_failures: 0,
    failing_since: null,
    failing_notified: false,
  });
  res.json(toWebhookOut(row!));
}

export async function disableWebhook(deps: ApiDeps, input: ById, res: Response) {
  const webhook = await loadWebhook(deps, input);
  const row = await repo.updateWebhook(deps.db, webhook.workspace_id, webhook.id, {
    status: 'disabled',
    disabled_reason: 'disabled via the API',
  });
  res.json(toWebhookOut(row!));
}

/** The end of a replay or recover range (default now), which must come after its start. */
function rangeEnd(body: { since: Date; until?: Date }): Date {
  const until = body.until ?? new Date();
  if (until.getTime() <= body.since.getTime())
    throw invalid('until must be after since', [{ path: 'body.until', message: 'must be after since' }]);
  return until;
}

/** Replay and recover start new deliveries: only to an active webhook. */
function requireActive(webhook: { status: string }, action: string): void {
  if (webhook.status !== 'active') throw new ProblemError(409, 'Conflict', `webhook is ${webhook.status}; enable it before ${action}`);
}

export async function replayWebhookDeliveries(
  deps: ApiDeps,
  input: Input<{ params: typeof IdParams; body: typeof ReplayIn }>,
  res: Response,
) {
  const webhook = await loadWebhook(deps, input);
  const { body } = input;
  const until = rangeEnd(body);
  if (until.getTime() - body.since.getTime() > MAX_REPLAY_RANGE_MS) {
    throw invalid('the replay range is at most 14 days', [{ path: 'body.since', message: 'range longer than 14 days' }]);
  }
  requireActive(webhook, 'replaying');
  const queued = await replayDeliveries(deps.dispatch, deps.db, webhook, { since: body.since, until, statuses: body.statuses });
  res.status(202).json({ queued });
}

/**
 * Sends the deliveries recorded as `skipped` (events published while the webhook was disabled)
 * since a time, once it is enabled again. They stay recoverable until the retention purge.
 */
export async function recoverWebhookDeliveries(
  deps: ApiDeps,
  input: Input<{ params: typeof IdParams; body: typeof RecoverIn }>,
  res: Response,
) {
  const webhook = await loadWebhook(deps, input);
  const { body } = input;
  const until = rangeEnd(body);
  requireActive(webhook, 'recovering');
  const queued = await replayDeliveries(deps.dispatch, deps.db, webhook, {
    since: body.since,
    until,
    statuses: ['skipped'],
    trigger: 'recover',
  });
  res.status(202).json({ queued });
}

export async function getWebhookSecret(deps: ApiDeps, input: ById, res: Response) {
  const webhook = await loadWebhook(deps, input);
  const active = webhook.previous_secret_expires_at && webhook.previous_secret_expires_at.getTime() > Date.now();
  res.set('cache-control', 'no-store').json({
    secret: webhook.secret_enc ? deps.secretBox.decrypt(webhook.secret_enc) : null,
    previous_secret_expires_at: active ? webhook.previous_secret_expires_at!.toISOString() : null,
  });
}

/** New secret now; the previous one keeps being signed with for the overlap window. */
export async function rotateWebhookSecret(deps: ApiDeps, input: Input<{ params: typeof IdParams; body: typeof RotateIn }>, res: Response) {
  const webhook = await loadWebhook(deps, input);
  const { body } = input;
  if (body.secret) validateSecret(PROFILES[webhook.profile].scheme, body.secret);
  const secret = body.secret ?? generateSecret();
  const expires = new Date(Date.now() + deps.config.HOOKFLOW_SECRET_ROTATION_OVERLAP_S * 1000);
  const row = await repo.updateWebhook(deps.db, webhook.workspace_id, webhook.id, {
    secret_enc: deps.secretBox.encrypt(secret),
    previous_secret_enc: webhook.secret_enc,
    previous_secret_expires_at: webhook.secret_enc ? expires : null,
  });
  if (!row) throw notFound('webhook', webhook.id);
  res.set('cache-control', 'no-store').json({ secret, previous_secret_expires_at: webhook.secret_enc ? expires.toISOString() : null });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Webhooks';
  const params = IdParams;
  const write = 'webhooks:write';
  route(
    r,
    deps,
    {
      operationId: 'sendWebhookTest',
      method: 'post',
      path: '/webhooks/:id/test',
      summary: 'Send a webhook.test event now and return the outcome',
      tag,
      scope: write,
      params,
      responses: { 200: TestResultOut },
    },
    sendWebhookTest,
  );
  route(
    r,
    deps,
    {
      operationId: 'enableWebhook',
      method: 'post',
      path: '/webhooks/:id/enable',
      summary: 'Enable (resets the failure streak)',
      tag,
      scope: write,
      params,
      responses: { 200: WebhookOut },
    },
    enableWebhook,
  );
  route(
    r,
    deps,
    {
      operationId: 'disableWebhook',
      method: 'post',
      path: '/webhooks/:id/disable',
      summary: 'Disable',
      tag,
      scope: write,
      params,
      responses: { 200: WebhookOut },
    },
    disableWebhook,
  );
  route(
    r,
    deps,
    {
      operationId: 'replayWebhookDeliveries',
      method: 'post',
      path: '/webhooks/:id/replay',
      summary: 'Resend failed/abandoned (or skipped) deliveries of a time range (≤ 14 days)',
      tag,
      scope: 'deliveries:write',
      params,
      body: ReplayIn,
      responses: { 202: QueuedOut },
    },
    replayWebhookDeliveries,
  );
  route(
    r,
    deps,
    {
      operationId: 'recoverWebhookDeliveries',
      method: 'post',
      path: '/webhooks/:id/recover',
      summary: 'Send the events skipped while the webhook was disabled (since a time; kept for the retention period)',
      tag,
      scope: 'deliveries:write',
      params,
      body: RecoverIn,
      responses: { 202: QueuedOut },
    },
    recoverWebhookDeliveries,
  );
  route(
    r,
    deps,
    {
      operationId: 'getWebhookSecret',
      method: 'get',
      path: '/webhooks/:id/secret',
      summary: 'The signing secret',
      tag,
      scope: write,
      params,
      responses: { 200: SecretOut },
    },
    getWebhookSecret,
  );
  route(
    r,
    deps,
    {
      operationId: 'rotateWebhookSecret',
      method: 'post',
      path: '/webhooks/:id/rotate-secret',
      summary: 'Rotate the secret; the previous one stays valid for the overlap',
      tag,
      scope: write,
      params,
      body: RotateIn,
      responses: { 200: z.object({ secret: z.string(), previous_secret_expires_at: z.string().nullable() }) },
    },
    rotateWebhookSecret,
  );
  return r;
}
