import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/deps';
import { loadConfig, type Config } from '../../src/config';
import type { Db } from '../../src/db/knex';
import { createApiKey, type Scope } from '../../src/db/repositories/api-keys';
import { ensureWorkspace } from '../../src/db/repositories/workspaces';
import { newId } from '../../src/domain/ids';
import { startHookflow, type Role } from '../../src/runtime';
import type { SecretBox } from '../../src/signing/secret-box';
import { resolveTestServer } from '../../src/temporal/binaries';
import { installRuntime } from '../../src/temporal/worker';

export interface Stack {
  config: Config;
  db: Db;
  client: Client;
  deps: ApiDeps;
  secretBox: SecretBox;
  /** Base URL of the API listening on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A real Hookflow for one test file, built by the same `startHookflow` as production: the
 * shared PostgreSQL and Temporal dev server from global setup (or a time-skipping test server),
 * API + worker on a task queue of its own, the API over real HTTP on an ephemeral port.
 */
export interface StackOptions {
  /** The time-skipping test server instead of the shared dev server. */
  timeSkipping?: boolean;
  /** `['api']` for tests of the API alone: no worker, so no workflow bundle to build. */
  roles?: Role[];
  /** Turns tracing on with this exporter (e.g. an InMemorySpanExporter). */
  spanExporter?: SpanExporter;
}

export async function givenStack(env: Record<string, string> = {}, opts: StackOptions = {}): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-stack-'));
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
    HOOKFLOW_ENCRYPTION_KEY: inject('encryptionKey'),
    HOOKFLOW_DATA_DIR: dataDir,
    // Test files share one database: only the reconciler test runs a reconciler pass.
    HOOKFLOW_RECONCILE_AFTER_S: '86400',
    // Nor a retention schedule: only the retention test purges.
    HOOKFLOW_RETENTION_DAYS: '0',
    PORT: '0',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...env,
  });
  installRuntime(config.LOG_LEVEL);
  let testEnv: TestWorkflowEnvironment | null = null;
  if (opts.timeSkipping) {
    // The time-skipping test server: 48 h schedules run in seconds, on real activities.
    testEnv = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: resolveTestServer() } },
    });
  }
  const running = await startHookflow(config, opts.roles ?? ['api', 'worker'], {
    spanExporter: opts.spanExporter,
    temporal: testEnv ? { connection: testEnv.nativeConnection, client: testEnv.client as unknown as Client, eager: false } : undefined,
  });
  return {
    config,
    db: running.db,
    client: running.client,
    deps: running.deps,
    secretBox: running.deps.secretBox,
    url: running.apiUrl!,
    async stop() {
      await running.stop();
      await testEnv?.teardown();
      fs.rmSync(dataDir, { recursive: true, force: true });
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

/** Events of the workspace whose workflows have not all been started yet. */
export async function undispatchedEvents(db: Db, workspaceId: string): Promise<number> {
  return Number((await db('events').where({ workspace_id: workspaceId }).whereNull('dispatched_at').count<{ n: string }[]>('* as n'))[0].n);
}

/** The API alone over real HTTP, on deps that differ from a stack's (one dependency down, another dispatcher). */
export async function givenApi(deps: ApiDeps): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

/** A small API client over real HTTP; `defaults` go with every request (e.g. Hookflow-Workspace). */
export function api(base: string, key: string | null, defaults: Record<string, string> = {}) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...defaults,
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

/**
 * A stack for the whole test file: started before its tests, stopped after them. The returned
 * object is filled in by `beforeAll`, so tests use it directly.
 */
export function useStack(env: Record<string, string> = {}, opts: StackOptions = {}): Stack {
  const holder = {} as Stack;
  beforeAll(async () => {
    Object.assign(holder, await givenStack(env, opts));
  });
  afterAll(async () => {
    await holder.stop?.();
  });
  return holder;
}
