import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type LogLevel, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import path from 'node:path';
import { createActivities, type ActivityDeps } from '../../activities';
import { SA } from '../../workflows/definitions';

import fs from 'node:fs';

/** workflows/index.ts under tsx and tests, workflows/index.js in a build. */
export const workflowsPath = ['index.ts', 'index.js']
  .map((f) => path.resolve(__dirname, '..', '..', 'workflows', f))
  .find((p) => fs.existsSync(p))!;

let bundleCache: Promise<WorkflowBundleWithSourceMap> | null = null;

/** Bundles the workflow code once per process (webpack; takes a few seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundleCache ??= bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  return bundleCache;
}

const noop = () => {};
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

let runtimeInstalled = false;

/** The SDK's own logs at WARN unless asked for more (LOG_LEVEL=debug shows them). */
export function installRuntime(level: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdkLevel: LogLevel = level === 'debug' || level === 'trace' ? 'DEBUG' : 'WARN';
  try {
    // Our own SIGTERM path shuts workers down in order; the SDK's would re-raise the signal.
    Runtime.install({ logger: new DefaultLogger(sdkLevel), shutdownSignals: [] });
  } catch {
    /* already installed by an embedding application */
  }
}

export async function connectNative(address: string, timeoutMs = 30_000): Promise<NativeConnection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`cannot reach Temporal at ${address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Registers the delivery search attributes on a server that lacks them (idempotent). */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  let missing = Object.keys(SA);
  try {
    const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
    missing = missing.filter((k) => !(k in (existing.customAttributes ?? {})));
  } catch (err) {
    // The time-skipping test server implements AddSearchAttributes but not the listing.
    if ((err as { code?: number }).code !== 12 /* UNIMPLEMENTED */) throw err;
  }
  if (missing.length === 0) return;
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k, 2 /* KEYWORD */])),
  });
}

export async function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  maxConcurrentActivities?: number;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(opts.deps),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 200,
    // A first attempt runs as a local activity inside its workflow task, which holds the task's
    // slot while the HTTP request is out: as many slots as activity slots.
    maxConcurrentWorkflowTaskExecutions: opts.maxConcurrentActivities ?? 200,
    maxConcurrentLocalActivityExecutions: opts.maxConcurrentActivities ?? 200,
    // A delivery sleeps for minutes to hours between attempts: keeping it in the sticky cache
    // buys nothing and costs ~100 KB of RSS each (measured), so the cache only needs to cover
    // deliveries in flight. An evicted workflow replays its short history on wake-up.
    maxCachedWorkflows: 500,
    // Give in-flight HTTP attempts time to finish on SIGTERM.
    shutdownGraceTime: '20s',
  });
}
