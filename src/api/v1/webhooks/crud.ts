import { Router, type Response } from 'express';
import { z } from 'zod';
import * as deliveriesRepo from '../../../db/repositories/deliveries';
import * as repo from '../../../db/repositories/webhooks';
import { checkUrl } from '../../../delivery/ssrf';
import { newId } from '../../../domain/ids';
import { PROFILES } from '../../../domain/profiles';
import { startTestDelivery } from '../../../services/operations';
import { generateSecret, standardKey } from '../../../signing/sign';
import type { ApiDeps } from '../../deps';
import { notFound, invalid, ProblemError } from '../../errors';
import { ListQuery, listOf, page } from '../../list';
import { route, type Input } from '../../route';
import { DeliveryListItem, DeliveryListQuery, toDeliveryListItem, toDeliverySearch } from '../delivery-schemas';
import { IdParams, toWebhookOut, WebhookIn, WebhookOut, WebhookPatch } from './schemas';
import { getWorkspace } from '../../../db/repositories/workspaces';
import { effectiveLimit } from '../workspaces';

function validateUrl(deps: ApiDeps, url: string): void {
  const r = checkUrl(url, { allow: deps.allow, requireHttps: deps.config.NODE_ENV === 'production' });
  if (!r.ok) throw invalid(`url is not allowed: ${r.detail}`, [{ path: 'body.url', message: `${r.reason}: ${r.detail}` }]);
}

/** On create, a secret refused by the default profile may suit another (seed 002's example). */
export const OTHER_PROFILE_HINT =
  '; any secret of 16+ characters, such as seed 002\'s "your_webhook_secret", is accepted by the generic, gitproductivity, productive and basic profiles (for seed 002 add "profile": "generic")';

export function validateSecret(scheme: string, secret: string, hint = ''): void {
  if (scheme !== 'standard') return;
  const bytes = secret.startsWith('whsec_') ? standardKey(secret).length : 0;
  if (bytes < 24 || bytes > 64) {
    throw invalid(`secret must be whsec_ followed by 24 to 64 base64-encoded bytes for the standard profile${hint}`, [
      { path: 'body.secret', message: 'expected whsec_<base64 of 24..64 bytes>' },
    ]);
  }
}

/** The webhook named by the path, in the caller's workspace. */
export async function loadWebhook(deps: ApiDeps, { params, workspaceId }: Input<{ params: typeof IdParams }>): Promise<repo.WebhookRow> {
  const row = await repo.getWebhook(deps.db, workspaceId, params.id);
  if (!row) throw notFound('webhook', params.id);
  return row;
}

/** The workspace's own limit of active webhooks (an admin sets it), else the server default. */
export async function assertCapacity(deps: ApiDeps, workspaceId: string): Promise<void> {
  const [active, workspace] = await Promise.all([repo.countActiveWebhooks(deps.db, workspaceId), getWorkspace(deps.db, workspaceId)]);
  const limit = effectiveLimit(deps, workspace ?? { max_active_webhooks: null });
  if (active >= limit) {
    throw new ProblemError(
      409,
      'Conflict',
      `this workspace already has ${active} active webhooks (limit ${limit}); disable or delete one first`,
    );
  }
}

export async function createWebhook(deps: ApiDeps, { body, workspaceId }: Input<{ body: typeof WebhookIn }>, res: Response) {
  validateUrl(deps, body.url);
  const profile = PROFILES[body.profile];
  const secret = body.secret ?? (profile.generateSecret ? generateSecret() : undefined);
  if (body.secret) validateSecret(profile.scheme, body.secret, OTHER_PROFILE_HINT);
  const status = body.status ?? 'active';
  if (status === 'active') await assertCapacity(deps, workspaceId);
  const policy = { ...profile.retryPolicy, ...(body.retry_policy ?? {}) };
  const row = await repo.insertWebhook(deps.db, {
    id: newId('wh'),
    workspace_id: workspaceId,
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
    filter: body.filter ?? null,
    rate_limit_per_s: body.rate_limit_per_s ?? null,
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

/** The webhook list also says how many are active of how many the workspace may have ("3 of 25"). */
const WebhookList = listOf(WebhookOut).extend({ active_count: z.number().int(), active_limit: z.number().int() });

export async function listWebhooks(deps: ApiDeps, { query, workspaceId }: Input<{ query: typeof ListQuery }>, res: Response) {
  const [rows, active] = await Promise.all([
    repo.listWebhooks(deps.db, workspaceId, query.limit + 1, query.cursor),
    repo.countActiveWebhooks(deps.db, workspaceId),
  ]);
  const { items, next_cursor } = page(rows, query.limit);
  res.json({ data: items.map((w) => toWebhookOut(w)), next_cursor, active_count: active, active_limit: deps.config.HOOKFLOW_MAX_WEBHOOKS });
}

export async function getWebhook(deps: ApiDeps, input: Input<{ params: typeof IdParams }>, res: Response) {
  res.json(toWebhookOut(await loadWebhook(deps, input)));
}

export async function updateWebhook(deps: ApiDeps, input: Input<{ params: typeof IdParams; body: typeof WebhookPatch }>, res: Response) {
  const current = await loadWebhook(deps, input);
  const { body } = input;
  if (body.url) validateUrl(deps, body.url);
  if (body.status === 'active' && current.status !== 'active') await assertCapacity(deps, current.workspace_id);
  const { retry_policy, ...rest } = body;
  const patch: Partial<repo.WebhookRow> = { ...rest };
  if (retry_policy) patch.retry_policy = { ...current.retry_policy, ...retry_policy };
  if (body.status === 'active')
    Object.assign(patch, { disabled_reason: null, consecutive_failures: 0, failing_since: null, failing_notified: false });
  const row = await repo.updateWebhook(deps.db, current.workspace_id, current.id, patch);
  if (!row) throw notFound('webhook', current.id);
  res.json(toWebhookOut(row));
}

export async function deleteWebhook(deps: ApiDeps, { params, workspaceId }: Input<{ params: typeof IdParams }>, res: Response) {
  if (!(await repo.deleteWebhook(deps.db, workspaceId, params.id))) throw notFound('webhook', params.id);
  res.status(204).end();
}

export async function listWebhookDeliveries(
  deps: ApiDeps,
  input: Input<{ params: typeof IdParams; query: typeof DeliveryListQuery }>,
  res: Response,
) {
  const webhook = await loadWebhook(deps, input);
  const { query } = input;
  const rows = await deliveriesRepo.searchDeliveries(deps.db, webhook.workspace_id, {
    ...toDeliverySearch(query),
    webhookId: webhook.id,
    limit: query.limit + 1,
  });
  const { items, next_cursor } = page(rows, query.limit);
  res.json({ data: items.map(toDeliveryListItem), next_cursor });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Webhooks';
  route(
    r,
    deps,
    {
      operationId: 'createWebhook',
      method: 'post',
      path: '/webhooks',
      summary: 'Create a webhook',
      tag,
      scope: 'webhooks:write',
      body: WebhookIn,
      idempotent: true,
      responses: { 201: WebhookOut.extend({ test_delivery_id: z.string().optional() }) },
    },
    createWebhook,
  );
  route(
    r,
    deps,
    {
      operationId: 'listWebhooks',
      method: 'get',
      path: '/webhooks',
      summary: 'List webhooks, newest first',
      tag,
      scope: 'webhooks:read',
      query: ListQuery,
      responses: { 200: WebhookList },
    },
    listWebhooks,
  );
  route(
    r,
    deps,
    {
      operationId: 'getWebhook',
      method: 'get',
      path: '/webhooks/:id',
      summary: 'Get a webhook',
      tag,
      scope: 'webhooks:read',
      params: IdParams,
      responses: { 200: WebhookOut },
    },
    getWebhook,
  );
  route(
    r,
    deps,
    {
      operationId: 'updateWebhook',
      method: 'patch',
      path: '/webhooks/:id',
      summary: 'Update a webhook',
      tag,
      scope: 'webhooks:write',
      params: IdParams,
      body: WebhookPatch,
      responses: { 200: WebhookOut },
    },
    updateWebhook,
  );
  route(
    r,
    deps,
    {
      operationId: 'deleteWebhook',
      method: 'delete',
      path: '/webhooks/:id',
      summary: 'Delete a webhook',
      tag,
      scope: 'webhooks:write',
      params: IdParams,
      responses: { 204: null },
    },
    deleteWebhook,
  );
  route(
    r,
    deps,
    {
      operationId: 'listWebhookDeliveries',
      method: 'get',
      path: '/webhooks/:id/deliveries',
      summary: 'The deliveries log of a webhook, newest first',
      tag: 'Deliveries',
      scope: 'deliveries:read',
      params: IdParams,
      query: DeliveryListQuery,
      responses: { 200: listOf(DeliveryListItem) },
    },
    listWebhookDeliveries,
  );
  return r;
}
