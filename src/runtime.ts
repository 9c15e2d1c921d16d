import { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { createApp } from './api/app';
import type { ApiDeps } from './api/deps';
import type { Config } from './config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded';
import { createDb, ensureDatabase, migrateLatest, type Db } from './db/knex';
import { createApiKey, findApiKey, generateKey } from './db/repositories/api-keys';
import { DEFAULT_WORKSPACE, ensureWorkspace } from './db/repositories/workspaces';
import { createGuardedAgent } from './delivery/guarded-dispatcher';
import { createSender } from './delivery/http-client';
import { parseCidrList, type Cidr } from './delivery/ssrf';
import { createLogger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { dispatchEvent, startReconciler, type DispatchDeps } from './services/dispatch';
import { checkEncryptionKey } from './signing/key-check';
import { SecretBox } from './signing/secret-box';
import { resolveTemporalCli } from './temporal/binaries';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { connectNative, createWorker, ensureSearchAttributes, installRuntime, workflowBundle } from './temporal/worker';

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

/** A Temporal connection made by the caller, e.g. the time-skipping test environment. */
export interface TemporalOverride {
  connection: NativeConnection;
  client: Client;
  /** Eager start needs a real server with a local worker; the test server has none. */
  eager: boolean;
}

/** Dev and tests may reach loopback; production nothing private unless configured. */
export function allowList(config: Config): Cidr[] {
  const raw = config.HOOKFLOW_ALLOW_PRIVATE_TARGETS.trim();
  if (raw === 'none') return [];
  if (raw) return parseCidrList(raw);
  return config.NODE_ENV === 'production' ? [] : parseCidrList('127.0.0.0/8,::1');
}

function encryptionKey(config: Config, embedded: boolean): string {
  if (config.HOOKFLOW_ENCRYPTION_KEY) return config.HOOKFLOW_ENCRYPTION_KEY;
  if (!embedded && config.NODE_ENV === 'production') {
    throw new Error('HOOKFLOW_ENCRYPTION_KEY is required in production (32 bytes, base64): openssl rand -base64 32');
  }
  const file = path.join(config.dataDir, 'encryption.key');
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/** The bootstrap key: HOOKFLOW_BOOTSTRAP_API_KEY, else one generated once into the data dir. */
async function bootstrapKey(db: Db, config: Config, embedded: boolean): Promise<string | null> {
  await ensureWorkspace(db, DEFAULT_WORKSPACE, 'Default workspace');
  let key = config.HOOKFLOW_BOOTSTRAP_API_KEY ?? null;
  if (!key && embedded) {
    const file = path.join(config.dataDir, 'api-key');
    if (!fs.existsSync(file)) fs.writeFileSync(file, generateKey(), { mode: 0o600 });
    key = fs.readFileSync(file, 'utf8').trim();
  }
  if (key && !(await findApiKey(db, key))) await createApiKey(db, { workspaceId: DEFAULT_WORKSPACE, name: 'bootstrap', key });
  return key;
}

/**
 * Brings up Hookflow: PostgreSQL (DATABASE_URL or embedded), Temporal (TEMPORAL_ADDRESS or a
 * dev server), migrations, then the requested roles. `stop()` undoes it all in reverse.
 */
export async function startHookflow(
  config: Config,
  roles: Role[],
  opts: { log?: Logger; progress?: (msg: string) => void; metrics?: Metrics; temporal?: TemporalOverride } = {},
): Promise<Running> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const progress = opts.progress ?? ((m: string) => log.info(m));
  const embedded = !config.DATABASE_URL || !config.TEMPORAL_ADDRESS;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error({ err }, 'shutdown step failed');
      }
    }
    cleanups.length = 0;
  };

  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
    // PostgreSQL, Temporal and the workflow bundle start side by side: start-up is their maximum,
    // not their sum.
    if (roles.includes('worker')) void workflowBundle().catch(() => {});
    const startPostgres = async (): Promise<string> => {
      if (config.DATABASE_URL) return config.DATABASE_URL;
      progress(`starting embedded PostgreSQL in ${path.join(config.dataDir, 'postgres')}`);
      const pg: EmbeddedPostgres = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), {
        port: config.HOOKFLOW_EMBEDDED_PG_PORT || undefined,
        log: (m) => log.debug({ component: 'postgres' }, m),
      });
      cleanups.push(() => pg.stop());
      return pg.url;
    };
    const startTemporal = async (): Promise<{ address: string; dev: DevServer | null }> => {
      if (config.TEMPORAL_ADDRESS || opts.temporal) return { address: config.TEMPORAL_ADDRESS ?? 'provided', dev: null };
      const cli = resolveTemporalCli(config.TEMPORAL_CLI);
      progress(`starting Temporal dev server (${cli})`);
      const server = await startDevServer({
        cli,
        dataDir: path.join(config.dataDir, 'temporal'),
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT === 0 ? null : config.TEMPORAL_UI_PORT,
        log: (l) => log.debug({ component: 'temporal' }, l),
      });
      cleanups.push(() => server.stop());
      return { address: server.address, dev: server };
    };
    const [pgResult, temporalResult] = await Promise.allSettled([startPostgres(), startTemporal()]);
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (temporalResult.status === 'rejected') throw temporalResult.reason;
    const databaseUrl = pgResult.value;
    const { address: temporalAddress, dev } = temporalResult.value;
    await ensureDatabase(databaseUrl);
    const db = createDb(databaseUrl, { min: 0, max: 20 });
    cleanups.push(() => db.destroy());
    const applied = await migrateLatest(db);
    progress(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema up to date');

    installRuntime(config.LOG_LEVEL);
    let connection: NativeConnection;
    let client: Client;
    if (opts.temporal) {
      ({ connection, client } = opts.temporal);
    } else {
      const native = await connectNative(temporalAddress);
      connection = native;
      cleanups.push(() => native.close());
      client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    }
    await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);

    const secretBox = new SecretBox(encryptionKey(config, embedded));
    await checkEncryptionKey(db, secretBox);
    const allow = allowList(config);
    const metrics =
      opts.metrics ??
      createMetrics({
        webhookCounts: async () =>
          (await db('webhooks').whereNull('deleted_at').where({ is_system: false }).groupBy('status').select('status').count('* as count')).map((r) => ({
            status: String(r.status),
            count: Number(r.count),
          })),
      });
    const dispatch: DispatchDeps = {
      db,
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      eager: config.HOOKFLOW_EAGER && roles.includes('worker') && (opts.temporal?.eager ?? true),
      log,
    };

    let worker: Worker | null = null;
    if (roles.includes('worker')) {
      const agent = createGuardedAgent({ allow, connections: 64, keepAliveTimeout: 30_000, connectTimeout: 10_000 });
      cleanups.push(() => agent.close());
      worker = await createWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        deps: {
          db,
          secretBox,
          send: createSender(agent),
          dispatchEvent: (eventId) => dispatchEvent(dispatch, eventId),
          onAttempt: (a) => {
            metrics.attempts.inc({ status: a.status, error_class: a.errorClass ?? 'none', profile: a.profile });
            metrics.attemptDuration.observe(a.durationMs / 1000);
            if (a.final) metrics.deliveriesFinished.inc({ status: a.status, profile: a.profile });
            if (a.sincePublishMs !== null) metrics.publishToFirstAttempt.observe(a.sincePublishMs / 1000);
            log.info({ deliveryId: a.deliveryId, status: a.status, errorClass: a.errorClass, ms: a.durationMs }, 'attempt');
          },
        },
      });
      const w = worker;
      const running = w.run();
      running.catch((err) => log.error({ err }, 'worker stopped with an error'));
      cleanups.push(async () => {
        if (w.getState() === 'RUNNING') w.shutdown();
        await running.catch(() => {});
      });
      const reconciler = startReconciler({ ...dispatch, afterS: config.HOOKFLOW_RECONCILE_AFTER_S });
      cleanups.push(() => reconciler.stop());
    }

    let apiUrl: string | null = null;
    let apiKey: string | null = null;
    const deps: ApiDeps = { config, db, client, secretBox, allow, log, dispatch, metrics };
    if (roles.includes('api')) {
      apiKey = await bootstrapKey(db, config, embedded);
      const app = createApp(deps, {
        metrics,
        ready: async () => {
          if (worker && worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
        },
      });
      const server: Server = await new Promise((resolve, reject) => {
        const s = app.listen(config.PORT, config.HOST, () => resolve(s));
        s.once('error', reject);
      });
      server.keepAliveTimeout = 5000;
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      );
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
      apiUrl = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    }
    return { apiUrl, uiUrl: dev?.uiUrl ?? null, temporalAddress, databaseUrl, apiKey, db, client, log, deps, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
