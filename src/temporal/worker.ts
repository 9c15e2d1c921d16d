import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkflowBundle } from '@temporalio/worker';
import path from 'node:path';
import { Worker as WorkerThread } from 'node:worker_threads';
import { createActivities, type ActivityDeps } from '../../activities';
import { SA } from '../../workflows/definitions';
import { cachedFile, hashSources } from '../disk-cache';
import { currentTelemetry, isTracing, WORKFLOW_INTERCEPTOR_MODULES } from '../telemetry';
import { workerSlots } from './worker-slots';

import fs from 'node:fs';

/** workflows/index.ts under tsx and tests, workflows/index.js in a build. */
export const workflowsPath = ['index.ts', 'index.js']
  .map((f) => path.resolve(__dirname, '..', '..', 'workflows', f))
  .find((p) => fs.existsSync(p))!;

const bundleCache = new Map<string, Promise<WorkflowBundle>>();

/**
 * The workflow code, bundled once per process. Bundling (webpack) runs in a worker thread, so
 * its ~90 MB of memory is returned when the thread ends instead of staying in this process,
 * and the result is cached on disk (node_modules/.cache/hookflow), keyed by the workflow
 * sources and the SDK version, so later starts skip it. Tracing adds Temporal's workflow
 * interceptors to the bundle (a bundle of its own).
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  const interceptors = isTracing() ? WORKFLOW_INTERCEPTOR_MODULES : [];
  const key = interceptors.join(',');
  let bundle = bundleCache.get(key);
  if (!bundle) bundleCache.set(key, (bundle = cachedBundle(interceptors)));
  return bundle;
}

/** Keyed by the workflow sources, the SDK version and the interceptors, so a change is bundled again. */
async function cachedBundle(interceptors: string[]): Promise<WorkflowBundle> {
  const sdk = JSON.parse(fs.readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')).version;
  const key = hashSources([path.dirname(workflowsPath)], [sdk, ...interceptors]);
  return { code: await cachedFile(`workflows-${key}.js`, () => bundleInThread(interceptors)) };
}

function bundleInThread(workflowInterceptorModules: string[]): Promise<string> {
  const bundler = path.join(path.dirname(require.resolve('@temporalio/worker/package.json')), 'lib', 'workflow', 'bundler.js');
  const script = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { bundleWorkflowCode } = require(workerData.bundler);
    const noop = () => {};
    const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
    bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, workflowInterceptorModules: workerData.workflowInterceptorModules, logger }).then(
      (b) => parentPort.postMessage({ code: b.code }),
      (err) => parentPort.postMessage({ error: String(err && err.stack || err) }),
    );`;
  return new Promise((resolve, reject) => {
    const thread = new WorkerThread(script, { eval: true, workerData: { bundler, workflowsPath, workflowInterceptorModules } });
    thread.once('message', (m: { code?: string; error?: string }) =>
      m.code !== undefined ? resolve(m.code) : reject(new Error(`bundling the workflow code failed: ${m.error}`)),
    );
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the workflow bundler thread exited (${code})`)));
  });
}

let runtimeInstalled = false;

/**
 * The SDK logs every failed workflow at WARN with its stack. A delivery closing as
 * DeliveryExhausted / DeliveryAbandoned (the only ApplicationFailure the delivery workflow throws
 * itself; an activity's arrives wrapped in an ActivityFailure) is an outcome, recorded and
 * counted in metrics, not a fault: it goes to DEBUG. The error reaches this logger as a plain
 * Error copied out of the workflow sandbox: only its stack still names its class.
 */
class SdkLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    const outcome =
      message === 'Workflow failed' &&
      meta?.workflowType === 'deliveryWorkflow' &&
      String((meta.error as Error | undefined)?.stack).startsWith('ApplicationFailure:');
    super.log(outcome ? 'DEBUG' : level, message, meta);
  }
}

/** The SDK's own logs at WARN unless asked for more (LOG_LEVEL=debug shows them). */
export function installRuntime(level: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdkLevel: LogLevel = level === 'debug' || level === 'trace' ? 'DEBUG' : 'WARN';
  try {
    // Our own SIGTERM path shuts workers down in order; the SDK's would re-raise the signal.
    Runtime.install({ logger: new SdkLogger(sdkLevel), shutdownSignals: [] });
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
    ...workerSlots(opts.maxConcurrentActivities),
    // Give in-flight HTTP attempts time to finish on SIGTERM.
    shutdownGraceTime: '20s',
    ...currentTelemetry()?.worker,
  });
}
