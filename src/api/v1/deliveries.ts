import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import * as repo from '../../db/repositories/deliveries';
import { requireScope, ws } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { parse } from '../validate';
import { toDeliveryOut } from './delivery-schemas';

const IdParams = z.object({ id: z.string().regex(/^dlv_[0-9a-z]{26}$/, 'not a delivery id') });

export async function loadDelivery(deps: ApiDeps, req: Request): Promise<repo.DeliveryRow> {
  const { id } = parse(IdParams, req, 'params');
  const d = await repo.getDelivery(deps.db, ws(req), id);
  if (!d) throw notFound('delivery', id);
  return d;
}

export async function getDelivery(deps: ApiDeps, req: Request, res: Response) {
  const d = await loadDelivery(deps, req);
  res.json(toDeliveryOut(d, await repo.listAttempts(deps.db, d.id)));
}

export function router(deps: ApiDeps): Router {
  const r = Router();
  r.get('/deliveries/:id', requireScope('deliveries:read'), (req, res) => getDelivery(deps, req, res));
  return r;
}
