import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as repo from '../../db/repositories/webhooks';
import { PROFILES } from '../../domain/profiles';
import { MAX_REPLAY_RANGE_MS, replayDeliveries, startTestDelivery } from '../../services/operations';
import { generateSecret } from '../../signing/sign';
import { requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { invalid, notFound, ProblemError } from '../errors';
import { parse } from '../validate';
import { DELIVERY_STATUSES } from './delivery-schemas';
import { assertCapacity, IdParams, loadWebhook, validateSecret } from './webhooks';
import { route } from '../openapi';
import { toWebhookOut, WebhookOut } from './webhook-schemas';
import * as deliveriesRepo from '../../db/repositories/deliveries';

export const TestResultOut = z.object({
  delivery_id: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  response_code: z.number().nullable(),
  response_time_ms: z.number().nullable(),
  error: z.string().nullable(),
});

export const ReplayIn = z
  .object({
    since: z.coerce.date(),
    until: z.coerce.date().optional(),
    statuses: z.array(z.enum(['failed', 'abandoned', 'cancelled', 'terminated'])).min(1).default(['failed', 'abandoned']),
  })
  .strict();

export const RotateIn = z.object({ secret: z.string().min(16).max(256).optional() }).strict();

export const SecretOut = z.object({
  secret: z.string().nullable(),
  previous_secret_expires_at: z.string().nullable(),
});

/** Sends a webhook.test event now and returns the attempt's outcome (any status). */
export async function testWebhook(deps: ApiDeps, req: Request, res: Response) {
  const webhook = await loadWebhook(deps, req);
  const { deliveryId, result } = await startTestDelivery(deps.dispatch, webhook);
  await result();
  const d = (await deliveriesRepo.getDeliveryById(deps.db, deliveryId))!;
  res.json({ delivery_id: d.id, status: d.status, response_code: d.last_response_code, response_time_ms: d.last_response_time_ms, error: d.last_error });
}

export async function enableWebhook(deps: ApiDeps, req: Request, res: Response) {
  const webhook = await loadWebhook(deps, req);
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

export async function disableWebhook(deps: ApiDeps, req: Request, res: Response) {
  const webhook = await loadWebhook(deps, req);
  const row = await repo.updateWebhook(deps.db, webhook.workspace_id, webhook.id, { status: 'disabled', disabled_reason: 'disabled via the API' });
  res.json(toWebhookOut(row!));
}

export async function replayWebhook(deps: ApiDeps, req: Request, res: Response) {
  const webhook = await loadWebhook(deps, req);
  const body = parse(ReplayIn, req, 'body');
  const until = body.until ?? new Date();
  if (until.getTime() <= body.since.getTime()) throw invalid('until must be after since', [{ path: 'body.until', message: 'must be after since' }]);
  if (until.getTime() - body.since.getTime() > MAX_REPLAY_RANGE_MS) {
    throw invalid('the replay range is at most 14 days', [{ path: 'body.since', message: 'range longer than 14 days' }]);
  }
  if (webhook.status !== 'active') throw new ProblemError(409, 'Conflict', `webhook is ${webhook.status}; enable it before replaying`);
  const queued = await replayDeliveries(deps.dispatch, deps.db, webhook, { since: body.since, until, statuses: body.statuses });
  res.status(202).json({ queued });
}

export async function getWebhookSecret(deps: ApiDeps, req: Request, res: Response) {
  const webhook = await loadWebhook(deps, req);
  const active = webhook.previous_secret_expires_at && webhook.previous_secret_expires_at.getTime() > Date.now();
  res.set('cache-control', 'no-store').json({
    secret: webhook.secret_enc ? deps.secretBox.decrypt(webhook.secret_enc) : null,
    previous_secret_expires_at: active ? webhook.previous_secret_expires_at!.toISOString() : null,
  });
}

/** New secret now; the previous one keeps being signed with for the overlap window. */
export async function rotateWebhookSecret(deps: ApiDeps, req: Request, res: Response) {
  const webhook = await loadWebhook(deps, req);
  const body = parse(RotateIn, req, 'body');
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

type Handler = (deps: ApiDeps, req: Request, res: Response) => Promise<void>;

export function router(deps: ApiDeps): Router {
  const r = Router();
  const h = (fn: Handler) => (req: Request, res: Response) => fn(deps, req, res);
  const write = requireScope('webhooks:write');
  const tag = 'Webhooks';
  const params = IdParams;
  route(r, { method: 'post', path: '/webhooks/:id/test', summary: 'Send a webhook.test event now and return the outcome', tag, scope: 'webhooks:write', params, responses: { 200: TestResultOut } }, write, h(testWebhook));
  route(r, { method: 'post', path: '/webhooks/:id/enable', summary: 'Enable (resets the failure streak)', tag, scope: 'webhooks:write', params, responses: { 200: WebhookOut } }, write, h(enableWebhook));
  route(r, { method: 'post', path: '/webhooks/:id/disable', summary: 'Disable', tag, scope: 'webhooks:write', params, responses: { 200: WebhookOut } }, write, h(disableWebhook));
  route(r, { method: 'post', path: '/webhooks/:id/replay', summary: 'Resend failed/abandoned deliveries of a time range (≤ 14 days)', tag, scope: 'deliveries:write', params, body: ReplayIn, responses: { 202: z.object({ queued: z.number().int() }) } }, requireScope('deliveries:write'), h(replayWebhook));
  route(r, { method: 'get', path: '/webhooks/:id/secret', summary: 'The signing secret', tag, scope: 'webhooks:write', params, responses: { 200: SecretOut } }, write, h(getWebhookSecret));
  route(r, { method: 'post', path: '/webhooks/:id/rotate-secret', summary: 'Rotate the secret; the previous one stays valid for the overlap', tag, scope: 'webhooks:write', params, body: RotateIn, responses: { 200: z.object({ secret: z.string(), previous_secret_expires_at: z.string().nullable() }) } }, write, h(rotateWebhookSecret));
  return r;
}
