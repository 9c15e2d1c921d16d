import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ApiDeps } from './api/deps';
import { CleanupStack } from './cleanup';
import type { Config } from './config';
import type { Db } from './db/knex';
import { parseCidrList, type Cidr } from './delivery/ssrf';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createLogger } from './logger';
import { startTelemetry } from './telemetry';
import { DEFAULT_TEMPORAL_UI_URL } from './temporal/links';
import { createDbMetrics, type Metrics } from './metrics';
import type { DispatchDeps } from './services/dispatch';
import { AHEAD_ACTIVE_MS, AHEAD_EXPIRE_MS, DEFAULT_DISPATCH_AHEAD } from './services/ahead';
import { Dispatcher } from './services/dispatcher';
import { INGEST_MIN_RUN_MS, INGEST_QUIET_MS } from './services/ingest-hold';
import { startApiRole } from './start/api-role';
import { startInfrastructure, type TemporalOverride } from './start/infrastructure';
import { startWorkerRole } from './start/worker-role';

export type { TemporalOverride } from './start/infrastructure';

export type Role = 'api' | 'worker';

export interface Running {
  apiUrl: string | null;
  uiUrl: string | null;
  temporalAddress: string;
  databaseUrl: string;
  apiKey: string | null;
  db: Db;
  client: Client;
  log: Logger;
  /** What the API handlers use (tests reach into it). */
  deps: ApiDeps;
  stop(): Promise<void>;
}

/** Dev and tests may reach loopback; production nothing private unless configured. */
export function allowList(config: Config): Cidr[] {
  const raw = config.HOOKFLOW_ALLOW_PRIVATE_TARGETS.trim();
  if (raw === 'none') return [];
  if (raw) return parseCidrList(raw);
  return config.NODE_ENV === 'production' ? [] : parseCidrList('127.0.0.0/8,::1');
}

/**
 * Brings up Hookflow: the infrastructure (PostgreSQL, Temporal, migrations), then the worker
 * and API roles asked for. `stop()` undoes it all in reverse; a failure on the way undoes what
 * had started (child processes included) before it is rethrown.
 */
export async function startHookflow(
  config: Config,
  roles: Role[],
  opts: {
    log?: Logger;
    progress?: (msg: string) => void;
    metrics?: Metrics;
    temporal?: TemporalOverride;
    spanExporter?: SpanExporter;
  } = {},
): Promise<Running> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const progress = opts.progress ?? ((m: string) => log.info(m));
  const cleanups = new CleanupStack((step, err) => log.error({ err, step }, 'shutdown step failed'));
  const stop = () => cleanups.run();
  try {
    // First, so the Temporal client, the worker's bundle and the API are built traced.
    const telemetry = startTelemetry(config, opts.spanExporter);
    if (telemetry) {
      cleanups.push('telemetry', () => telemetry.shutdown());
      progress('tracing on (OpenTelemetry)');
    }
    const infra = await startInfrastructure(
      { config, log, progress, cleanups },
      { warmBundle: roles.includes('worker'), temporal: opts.temporal },
    );
    const { db, client, secretBox } = infra;
    const allow = allowList(config);
    const eager = config.HOOKFLOW_EAGER && roles.includes('worker') && (opts.temporal?.eager ?? true);
    const dispatch: DispatchDeps = { db, client, taskQueue: config.TEMPORAL_TASK_QUEUE, eager, log };
    // Pacing needs this process's worker to see its starts picked up (AheadWindow).
    const aheadLimit = config.HOOKFLOW_DISPATCH_AHEAD ?? Math.min(DEFAULT_DISPATCH_AHEAD, config.HOOKFLOW_WORKER_SLOTS);
    const shared = config.HOOKFLOW_DISPATCH_AHEAD_SHARED;
    const share = shared > 0 && shared < aheadLimit ? { limit: shared, activeMs: AHEAD_ACTIVE_MS } : null;
    const ahead = roles.includes('worker') && aheadLimit > 0 ? { limit: aheadLimit, expireMs: AHEAD_EXPIRE_MS, share } : null;
    const holdMs = config.HOOKFLOW_INGEST_HOLD_MS;
    const ingestHold = holdMs > 0 ? { quietMs: INGEST_QUIET_MS, maxHoldMs: holdMs, minRunMs: INGEST_MIN_RUN_MS } : null;
    const dispatcher = new Dispatcher(dispatch, { maxBacklog: config.HOOKFLOW_MAX_DISPATCH_BACKLOG, ahead, ingestHold });
    const metrics = opts.metrics ?? createDbMetrics(db, () => dispatcher.backlog);
    const worker = roles.includes('worker')
      ? await startWorkerRole(config, infra, { allow, metrics, dispatch, dispatcher, log, cleanups })
      : null;
    // The stack runs in reverse: the API stops accepting, then the dispatcher stops starting
    // (what it still holds is left to the reconciler), then the worker finishes its attempts.
    cleanups.push('dispatcher', () => dispatcher.stop());
    const temporalUiUrl = config.HOOKFLOW_TEMPORAL_UI_URL ?? infra.dev?.uiUrl ?? DEFAULT_TEMPORAL_UI_URL;
    const deps: ApiDeps = { config, db, client, secretBox, allow, log, dispatch, dispatcher, temporalUiUrl, metrics };
    const api = roles.includes('api') ? await startApiRole(deps, { embedded: infra.embedded, worker, cleanups }) : null;
    return {
      apiUrl: api?.apiUrl ?? null,
      uiUrl: infra.dev?.uiUrl ?? null,
      temporalAddress: infra.temporalAddress,
      databaseUrl: infra.databaseUrl,
      apiKey: api?.apiKey ?? null,
      db,
      client,
      log,
      deps,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
