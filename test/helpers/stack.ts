import { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/deps';
import { loadConfig, type Config } from '../../src/config';
import { createDb, type Db } from '../../src/db/knex';
import { createApiKey, type Scope } from '../../src/db/repositories/api-keys';
import { ensureWorkspace } from '../../src/db/repositories/workspaces';
import { createGuardedAgent } from '../../src/delivery/guarded-dispatcher';
import { createSender } from '../../src/delivery/http-client';
import { newId } from '../../src/domain/ids';
import { createLogger } from '../../src/logger';
import { allowList } from '../../src/runtime';
import { dispatchEvent, type DispatchDeps } from '../../src/services/dispatch';
import { SecretBox } from '../../src/signing/secret-box';
import { resolveTestServer } from '../../src/temporal/binaries';
import { connectNative, createWorker, ensureSearchAttributes, installRuntime } from '../../src/temporal/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';

export interface Stack {
  config: Config;
  db: Db;
  client: Client;
  connection: NativeConnection;
  deps: ApiDeps;
  worker: Worker;
  secretBox: SecretBox;
  /** Base URL of the API listening on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A real Hookflow for one test file: the shared PostgreSQL and Temporal from global setup, a
 * worker on a task queue of its own, and the API over real HTTP on an ephemeral port.
 */
export async function givenStack(env: Record<string, string> = {}, opts: { timeSkipping?: boolean } = {}): Promise<Stack> {
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    HOOKFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const log = createLogger(config.LOG_LEVEL);
  const db = createDb(config.DATABASE_URL!);
  installRuntime(config.LOG_LEVEL);
  let testEnv: TestWorkflowEnvironment | null = null;
  let connection: NativeConnection;
  let client: Client;
  if (opts.timeSkipping) {
    // The time-skipping test server: 48 h schedules run in seconds, on real activities.
    testEnv = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: resolveTestServer() } } });
    connection = testEnv.nativeConnection;
    client = testEnv.client as unknown as Client;
    await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  } else {
    connection = await connectNative(config.TEMPORAL_ADDRESS!);
    client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  }
  const secretBox = new SecretBox(config.HOOKFLOW_ENCRYPTION_KEY!);
  const allow = allowList(config);
  const agent = createGuardedAgent({ allow, connectTimeout: 5000 });
  const dispatch: DispatchDeps = { db, client, taskQueue, eager: !opts.timeSkipping, log };
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    deps: { db, secretBox, send: createSender(agent), dispatchEvent: (id) => dispatchEvent(dispatch, id) },
  });
  const running = worker.run();
  const deps: ApiDeps = { config, db, client, secretBox, allow, log, dispatch };
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    config,
    db,
    client,
    connection,
    deps,
    worker,
    secretBox,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      worker.shutdown();
      await running;
      await agent.close();
      if (testEnv) await testEnv.teardown();
      else await connection.close();
      await db.destroy();
    },
  };
}

/** A workspace of its own and an API key for it, so tests never see each other's rows. */
export async function givenWorkspace(db: Db, scopes?: Scope[]): Promise<{ workspaceId: string; key: string }> {
  const workspaceId = newId('ws');
  await ensureWorkspace(db, workspaceId, 'test');
  const { key } = await createApiKey(db, { workspaceId, name: 'test', scopes });
  return { workspaceId, key };
}

/** A small API client over real HTTP. */
export function api(base: string, key: string | null) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, body: json };
  };
  return {
    get: (p: string, h?: Record<string, string>) => call('GET', p, undefined, h),
    post: (p: string, b?: unknown, h?: Record<string, string>) => call('POST', p, b ?? {}, h),
    patch: (p: string, b: unknown) => call('PATCH', p, b),
    delete: (p: string) => call('DELETE', p),
  };
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
