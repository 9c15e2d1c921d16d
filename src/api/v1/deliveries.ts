import { Router, type Response } from 'express';
import { z } from 'zod';
import * as repo from '../../db/repositories/deliveries';
import type { ApiDeps } from '../deps';
import { getWebhookById } from '../../db/repositories/webhooks';
import * as ops from '../../services/operations';
import { workflowUiUrl } from '../../temporal/links';
import { notFound, ProblemError } from '../errors';
import { route, type Input } from '../route';
import { listOf, page } from '../list';
import {
  DeliveryListQuery,
  DeliveryOut,
  DeliverySearchItem,
  toDeliveryOut,
  toDeliverySearch,
  toDeliverySearchItem,
} from './delivery-schemas';

const IdParams = z.object({ id: z.string().regex(/^dlv_[0-9a-z]{26}$/, 'not a delivery id') });
type ById = Input<{ params: typeof IdParams }>;

async function loadDelivery(deps: ApiDeps, { params, workspaceId }: ById): Promise<repo.DeliveryRow> {
  const d = await repo.getDelivery(deps.db, workspaceId, params.id);
  if (!d) throw notFound('delivery', params.id);
  return d;
}

export async function getDelivery(deps: ApiDeps, { params, workspaceId }: ById, res: Response) {
  const found = await repo.getDeliveryWithAttempts(deps.db, workspaceId, params.id);
  if (!found) throw notFound('delivery', params.id);
  const { delivery, attempts } = found;
  const runId = await ops.latestRunId(deps.client, delivery.workflow_id);
  const link = workflowUiUrl(deps.temporalUiUrl, deps.config.TEMPORAL_NAMESPACE, delivery.workflow_id, runId);
  res.json(toDeliveryOut(delivery, attempts, { run_id: runId, temporal_ui_url: link }));
}

const WorkspaceDeliveryQuery = DeliveryListQuery.extend({
  webhook_id: z
    .string()
    .regex(/^wh_[0-9a-z]{26}$/, 'not a webhook id')
    .optional(),
});

/** Every delivery of the workspace, newest first, filtered (e.g. failures and tests together). */
export async function listDeliveries(
  deps: ApiDeps,
  { query, workspaceId }: Input<{ query: typeof WorkspaceDeliveryQuery }>,
  res: Response,
) {
  const rows = await repo.searchDeliveries(deps.db, workspaceId, {
    ...toDeliverySearch(query),
    webhookId: query.webhook_id,
    limit: query.limit + 1,
  });
  const { items, next_cursor } = page(rows, query.limit);
  res.json({ data: items.map(toDeliverySearchItem), next_cursor });
}

/** Retry now: signals a waiting delivery, or starts a new run of a finished one. */
export async function retryDelivery(deps: ApiDeps, input: ById, res: Response) {
  const d = await loadDelivery(deps, input);
  if (d.is_test) throw new ProblemError(409, 'Conflict', 'test deliveries are not retried; send a new test');
  const webhook = (await getWebhookById(deps.db, d.webhook_id))!;
  if (webhook.deleted_at || webhook.status !== 'active')
    throw new ProblemError(409, 'Conflict', `webhook is ${webhook.deleted_at ? 'deleted' : webhook.status}; enable it first`);
  const how = await ops.retryDelivery(deps.dispatch, d, webhook);
  res.status(202).json({ id: d.id, action: how });
}

export async function cancelDelivery(deps: ApiDeps, input: ById, res: Response) {
  const d = await loadDelivery(deps, input);
  if (!(await ops.cancelDelivery(deps.dispatch, d))) throw new ProblemError(409, 'Conflict', `delivery is already ${d.status}`);
  res.status(202).json({ id: d.id, action: 'cancelling' });
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  const tag = 'Deliveries';
  const action = z.object({ id: z.string(), action: z.enum(['signalled', 'restarted', 'cancelling']) });
  route(
    r,
    deps,
    {
      operationId: 'listDeliveries',
      method: 'get',
      path: '/deliveries',
      summary: 'Every delivery of the workspace, newest first: by status (several), test or not, event type, event, webhook, time',
      tag,
      scope: 'deliveries:read',
      query: WorkspaceDeliveryQuery,
      responses: { 200: listOf(DeliverySearchItem) },
    },
    listDeliveries,
  );
  route(
    r,
    deps,
    {
      operationId: 'getDelivery',
      method: 'get',
      path: '/deliveries/:id',
      summary: 'A delivery with every attempt',
      tag,
      scope: 'deliveries:read',
      params: IdParams,
      responses: { 200: DeliveryOut },
    },
    getDelivery,
  );
  route(
    r,
    deps,
    {
      operationId: 'retryDelivery',
      method: 'post',
      path: '/deliveries/:id/retry',
      summary: 'Attempt now (signal retry-now), or resend a finished delivery',
      tag,
      scope: 'deliveries:write',
      params: IdParams,
      responses: { 202: action },
    },
    retryDelivery,
  );
  route(
    r,
    deps,
    {
      operationId: 'cancelDelivery',
      method: 'post',
      path: '/deliveries/:id/cancel',
      summary: 'Cancel a waiting delivery (native workflow cancellation)',
      tag,
      scope: 'deliveries:write',
      params: IdParams,
      responses: { 202: action },
    },
    cancelDelivery,
  );
  return r;
}
