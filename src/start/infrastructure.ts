import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { currentTelemetry } from '../telemetry';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CleanupStack } from '../cleanup';
import type { Config } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { createDb, ensureDatabase, migrateLatest, type Db } from '../db/knex';
import { checkEncryptionKey } from '../signing/key-check';
import { SecretBox } from '../signing/secret-box';
import { resolveTemporalCli } from '../temporal/binaries';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { setNamespaceRetention } from '../temporal/retention';
import { connectNative, ensureSearchAttributes, installRuntime, workflowBundle } from '../temporal/worker';

/** A Temporal connection made by the caller, e.g. the time-skipping test environment. */
export interface TemporalOverride {
  connection: NativeConnection;
  client: Client;
  /** Eager start needs a real server with a local worker; the test server has none. */
  eager: boolean;
}

export interface Infrastructure {
  /** DATABASE_URL and TEMPORAL_ADDRESS not both given: dev mode with its generated keys. */
  embedded: boolean;
  databaseUrl: string;
  temporalAddress: string;
  dev: DevServer | null;
  db: Db;
  connection: NativeConnection;
  client: Client;
  secretBox: SecretBox;
}

interface Ctx {
  config: Config;
  log: Logger;
  progress: (msg: string) => void;
  cleanups: CleanupStack;
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

async function startPostgres({ config, log, progress, cleanups }: Ctx): Promise<string> {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  const dir = path.join(config.dataDir, 'postgres');
  progress(`starting embedded PostgreSQL in ${dir}`);
  const pg = await startEmbeddedPostgres(dir, {
    port: config.HOOKFLOW_EMBEDDED_PG_PORT || undefined,
    log: (m) => log.debug({ component: 'postgres' }, m),
  });
  cleanups.push('embedded PostgreSQL', () => pg.stop());
  return pg.url;
}

async function startTemporal(
  { config, log, progress, cleanups }: Ctx,
  provided: boolean,
): Promise<{ address: string; dev: DevServer | null }> {
  if (config.TEMPORAL_ADDRESS || provided) return { address: config.TEMPORAL_ADDRESS ?? 'provided', dev: null };
  const cli = resolveTemporalCli(config.TEMPORAL_CLI);
  progress(`starting Temporal dev server (${cli})`);
  const server = await startDevServer({
    cli,
    dataDir: path.join(config.dataDir, 'temporal'),
    port: config.TEMPORAL_DEV_PORT,
    uiPort: config.TEMPORAL_UI_PORT === 0 ? null : config.TEMPORAL_UI_PORT,
    log: (l) => log.debug({ component: 'temporal' }, l),
  });
  cleanups.push('Temporal dev server', () => server.stop());
  return { address: server.address, dev: server };
}

/**
 * PostgreSQL (DATABASE_URL or embedded) and Temporal (TEMPORAL_ADDRESS, the caller's, or a dev
 * server), migrations, the Temporal client and the secret box. Each part registers its own
 * shutdown step on `cleanups`.
 */
export async function startInfrastructure(ctx: Ctx, opts: { warmBundle: boolean; temporal?: TemporalOverride }): Promise<Infrastructure> {
  const { config, progress, cleanups } = ctx;
  const embedded = !config.DATABASE_URL || !config.TEMPORAL_ADDRESS;
  fs.mkdirSync(config.dataDir, { recursive: true });
  // PostgreSQL, Temporal and the workflow bundle start side by side: start-up is their maximum,
  // not their sum.
  if (opts.warmBundle) void workflowBundle().catch(() => {});
  const [pgResult, temporalResult] = await Promise.allSettled([startPostgres(ctx), startTemporal(ctx, Boolean(opts.temporal))]);
  if (pgResult.status === 'rejected') throw pgResult.reason;
  if (temporalResult.status === 'rejected') throw temporalResult.reason;
  const databaseUrl = pgResult.value;
  const { address: temporalAddress, dev } = temporalResult.value;

  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, { min: 0, max: 20 });
  cleanups.push('database pool', () => db.destroy());
  const applied = await migrateLatest(db);
  progress(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema up to date');

  installRuntime(config.LOG_LEVEL);
  let connection: NativeConnection;
  let client: Client;
  if (opts.temporal) {
    ({ connection, client } = opts.temporal);
  } else {
    const native = await connectNative(temporalAddress);
    cleanups.push('Temporal connection', () => native.close());
    connection = native;
    client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      interceptors: { workflow: currentTelemetry()?.clientInterceptors ?? [] },
    });
  }
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  // The dev server we run keeps closed workflows as long as PostgreSQL keeps their rows.
  if (dev) await setNamespaceRetention(client, config.TEMPORAL_NAMESPACE, config.HOOKFLOW_RETENTION_DAYS);

  const secretBox = new SecretBox(encryptionKey(config, embedded));
  await checkEncryptionKey(db, secretBox);
  return { embedded, databaseUrl, temporalAddress, dev, db, connection, client, secretBox };
}
