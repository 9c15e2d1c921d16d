import { Router } from 'express';
import { ping } from '../db/knex';
import type { ApiDeps } from './deps';

/**
 * Bound of each readiness probe. A dead Temporal does not refuse a gRPC call, it leaves it
 * waiting; without a bound /readyz hangs as long as the dependency does, and an orchestrator's
 * probe times out instead of reading "not ready".
 */
export const READY_PROBE_TIMEOUT_MS = 500;

/** 'ok', or why the probe failed (its error, or that it did not answer in time). */
async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz (the process answers) and /readyz (PostgreSQL, Temporal and the worker answer). */
export function healthRouter(deps: ApiDeps, ready?: () => Promise<void>, timeoutMs = READY_PROBE_TIMEOUT_MS): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  r.get('/readyz', async (_req, res) => {
    const probes: Record<string, () => Promise<unknown>> = {
      postgres: () => ping(deps.db),
      // The deadline also ends the gRPC call itself, not just our wait for it.
      temporal: () => deps.client.connection.withDeadline(Date.now() + timeoutMs, () => deps.client.workflowService.getSystemInfo({})),
      ...(ready ? { worker: ready } : {}),
    };
    const results = await Promise.all(Object.values(probes).map((check) => probe(check, timeoutMs)));
    const checks = Object.fromEntries(Object.keys(probes).map((name, i) => [name, results[i]]));
    const ok = results.every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  });
  return r;
}
