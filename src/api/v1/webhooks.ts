import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as deliveriesRepo from '../../db/repositories/deliveries';
import * as repo from '../../db/repositories/webhooks';
import { checkUrl } from '../../delivery/ssrf';
import { newId } from '../../domain/ids';
import { PROFILES } from '../../domain/profiles';
import { startTestDelivery } from '../../services/operations';
import { generateSecret, standardKey } from '../../signing/sign';
import { requireScope, ws } from '../auth';
import { idempotent } from '../idempotency';
import type { ApiDeps } from '../deps';
import { notFound, invalid, ProblemError } from '../errors';
import { decodeCursor, page, parse } from '../validate';
import { toDeliveryListItem, DeliveryListItem, DeliveryListQuery } from './delivery-schemas';
import { ListQuery, toWebhookOut, WebhookIn, WebhookOut, WebhookPatch } from './webhook-schemas';
import { route } from '../openapi';

export const IdParams = z.object({ id: z.string().regex(/^wh_[0-9a-z]{26}$/, 'not a webhook id') });

function validateUrl(deps: ApiDeps, url: string): void {
  const r = checkUrl(url, { allow: deps.allow, requireHttps: deps.config.NODE_ENV === 'production' });
  if (!r.ok) throw invalid(`url is not allowed: ${r.detail}`, [{ path: 'body.url', message: `${r.reason}: ${r.detail}` }]);
}

export function validateSecret(scheme: string, secret: string): void {
  if (scheme !== 'standard') return;
  const bytes = secret.startsWith('whsec_') ? standardKey(secret).length : 0;
  if (bytes < 24 || bytes > 64) {
    throw invalid('secret must be whsec_ followed by 24 to 64 base64-encoded bytes for the standard scheme', [
      { path: 'body.secret', message: 'expected whsec_<base64 of 24..64 bytes>' },
    ]);
  }
}

export async function loadWebhook(deps: ApiDeps, req: Request): Promise<repo.WebhookRow> {
  const { id } = parse(IdParams, req, 'params');
  const row = await repo.getWebhook(deps.db, ws(req), id);
  if (!row) throw notFound('webhook', id);
  return row;
}

export async function assertCapacity(deps: ApiDeps, workspaceId: string): Promise<void> {
  const active = await repo.countActiveWebhooks(deps.db, workspaceId);
  if (active >= deps.config.HOOKFLOW_MAX_WEBHOOKS) {
    throw new ProblemError(409, 'Conflict', `this workspace already has ${active} active webhooks (limit ${deps.config.HOOKFLOW_MAX_WEBHOOKS}); disable or delete one first`);
  }
}

export async function createWebhook(deps: ApiDeps, req: Request, res: Response) {
  const body = parse(WebhookIn, req, 'body');
  validateUrl(deps, body.url);
  const profile = PROFILES[body.profile];
  const secret = body.secret ?? (profile.generateSecret ? generateSecret() : undefined);
  if (body.secret) validateSecret(profile.scheme, body.secret);
  const status = body.status ?? 'active';
  if (status === 'active') await assertCapacity(deps, ws(req));
  const policy = { ...profile.retryPolicy, ...(body.retry_policy ?? {}) };
  const row = await repo.insertWebhook(deps.db, {
    id: newId('wh'),
    workspace_id: ws(req),
    name: body.name ?? new URL(body.url).host,
    url: body.url,
    method: body.method ?? 'POST',
    content_type: body.content_type ?? 'application/json',
    events: body.events,
    status,
    disabled_reason: null,
    profile: body.profile,
    signature_scheme: profile.scheme,
    signature_header: profile.signatureHeader,
    secret_enc: secret ? deps.secretBox.encrypt(secret) : null,
    previous_secret_enc: null,
    previous_secret_expires_at: null,
    custom_headers: body.custom_headers ?? {},
    retry_policy: policy,
    max_attempts: body.max_attempts ?? (body.retry_policy?.schedule ? policy.schedule.length + 1 : profile.maxAttempts),
    timeout_ms: body.timeout_ms ?? 30000,
  });
  const sendTest = body.send_test_on_create ?? profile.sendTestOnCreate;
  let testDeliveryId: string | undefined;
  if (sendTest) {
    // Seed 001: "After saving, we'll send a test webhook"; the outcome is in the deliveries log.
    testDeliveryId = (await startTestDelivery(deps.dispatch, row)).deliveryId;
  }
  res
    .status(201)
    .location(`/v1/webhooks/${row.id}`)
    .json({ ...toWebhookOut(row, secret), ...(testDeliveryId ? { test_delivery_id: testDeliveryId } : {}) });
}

export async function listWebhooks(deps: ApiDeps, req: Request, res: Response) {
  const q = parse(ListQuery, req, 'query');
  const rows = await repo.listWebhooks(deps.db, ws(req), q.limit + 1, decodeCursor(q.cursor));
  const { items, next_cursor } = page(rows, q.limit);
  res.json({ data: items.map((w) => toWebhookOut(w)), next_cursor });
}

export async function getWebhook(deps: ApiDeps, req: Request, res: Response) {
  res.json(toWebhookOut(await loadWebhook(deps, req)));
}

export async function updateWebhook(deps: ApiDeps, req: Request, res: Response) {
  const current = await loadWebhook(deps, req);
  const body = parse(WebhookPatch, req, 'body');
  if (body.url) validateUrl(deps, body.url);
  if (body.status === 'active' && current.status !== 'active') await assertCapacity(deps, current.workspace_id);
  const { retry_policy, ...rest } = body;
  const patch: Partial<repo.WebhookRow> = { ...rest };
  if (retry_policy) patch.retry_policy = { ...current.retry_policy, ...retry_policy };
  if (body.status === 'active') Object.assign(patch, { disabled_reason: null, consecutive_failures: 0, failing_since: null, failing_notified: false });
  const row = await repo.updateWebhook(deps.db, current.workspace_id, current.id, patch);
  if (!row) throw notFound('webhook', current.id);
  res.json(toWebhookOut(row));
}

export async function deleteWebhook(deps: ApiDeps, req: Request, res: Response) {
  const { id } = parse(IdParams, req, 'params');
  if (!(await repo.deleteWebhook(deps.db, ws(req), id))) throw notFound('webhook', id);
  res.status(204).end();
}

export async function listWebhookDeliveries(deps: ApiDeps, req: Request, res: Response) {
  const webhook = await loadWebhook(deps, req);
  const q = parse(DeliveryListQuery, req, 'query');
  const rows = await deliveriesRepo.listDeliveriesOfWebhook(deps.db, webhook.workspace_id, webhook.id, {
    status: q.status,
    limit: q.limit + 1,
    before: decodeCursor(q.cursor),
  });
  const { items, next_cursor } = page(rows, q.limit);
  res.json({ data: items.map(toDeliveryListItem), next_cursor });
}

type Handler = (deps: ApiDeps, req: Request, res: Response) => Promise<void>;

export function router(deps: ApiDeps): Router {
  const r = Router();
  const h = (fn: Handler) => (req: Request, res: Response) => fn(deps, req, res);
  const read = requireScope('webhooks:read');
  const write = requireScope('webhooks:write');
  const tag = 'Webhooks';
  const list = (item: z.ZodType) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });
  const idem = [{ name: 'Idempotency-Key', description: 'same key + same body within 24 h returns the stored response' }];
  route(r, { method: 'post', path: '/webhooks', summary: 'Create a webhook', tag, scope: 'webhooks:write', body: WebhookIn, headers: idem, responses: { 201: WebhookOut.extend({ test_delivery_id: z.string().optional() }) } }, write, idempotent(deps.db, 'POST /v1/webhooks'), h(createWebhook));
  route(r, { method: 'get', path: '/webhooks', summary: 'List webhooks, newest first', tag, scope: 'webhooks:read', query: ListQuery, responses: { 200: list(WebhookOut) } }, read, h(listWebhooks));
  route(r, { method: 'get', path: '/webhooks/:id', summary: 'Get a webhook', tag, scope: 'webhooks:read', params: IdParams, responses: { 200: WebhookOut } }, read, h(getWebhook));
  route(r, { method: 'patch', path: '/webhooks/:id', summary: 'Update a webhook', tag, scope: 'webhooks:write', params: IdParams, body: WebhookPatch, responses: { 200: WebhookOut } }, write, h(updateWebhook));
  route(r, { method: 'delete', path: '/webhooks/:id', summary: 'Delete a webhook', tag, scope: 'webhooks:write', params: IdParams, responses: { 204: null } }, write, h(deleteWebhook));
  route(r, { method: 'get', path: '/webhooks/:id/deliveries', summary: 'The deliveries log of a webhook, newest first', tag: 'Deliveries', scope: 'deliveries:read', params: IdParams, query: DeliveryListQuery, responses: { 200: list(DeliveryListItem) } }, requireScope('deliveries:read'), h(listWebhookDeliveries));
  return r;
}
