/**
 * Hookflow as shipped: `startHookflow` in forked processes against the run's PostgreSQL and
 * Temporal, webhooks created and events published over its HTTP API. With `--workers 0` the API
 * and the worker share one process (as `hookflow start`); with N, one process runs the API role
 * and N run the worker role (as `hookflow api` and `hookflow worker`).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Role } from '../../src/runtime';
import type { BenchContext } from '../context';
import { runBurst } from '../hookflow/burst';
import { checkDatabase } from '../hookflow/db-check';
import { runFairness } from '../hookflow/fairness';
import { runScale } from '../hookflow/scale';
import { runTimers } from '../hookflow/timers';
import { HookflowApi } from '../hookflow/api';
import { HOOKFLOW_EVENT, type HookflowRun } from '../hookflow/run';
import { forkChild, HOOKFLOW_PROCESS } from '../processes';
import type { HookflowInfo, InitMessage, WorkspaceInfo } from '../protocol';
import type { Target } from '../probes';
import type { SetupMode } from './mode';

function hookflowEnv(ctx: BenchContext): Record<string, string> {
  const { opts, stack, runTag } = ctx;
  return {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `bench-hookflow-${runTag}`,
    HOOKFLOW_DATA_DIR: path.join(stack.dataDir, 'hookflow'),
    HOST: '127.0.0.1',
    PORT: '0',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOOKFLOW_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8',
    HOOKFLOW_MAX_WEBHOOKS: String(opts.webhooks * 2 + 10),
    HOOKFLOW_MAX_PAYLOAD_BYTES: String(Math.max(262144, opts.payloadBytes + 1024)),
    ...(opts.hookflowEnv ?? {}),
  };
}

export function hookflowLayout(workers: number): string {
  return workers === 0 ? 'api+worker in one process' : `1 api process + ${workers} worker process${workers > 1 ? 'es' : ''}`;
}

/** What scripts/node.sh preloads on this machine: the hookflow processes' allocator. */
export function hookflowAllocator(): string {
  const script = path.resolve(__dirname, '..', '..', HOOKFLOW_PROCESS.launcher);
  const lib = execFileSync('sh', [script, '-p', 'process.env.LD_PRELOAD || ""'], { encoding: 'utf8' }).trim();
  return lib ? `jemalloc (${lib})` : 'glibc malloc';
}

export const setupHookflow: SetupMode = async (ctx, cleanup) => {
  const { opts, abort } = ctx;
  const env = hookflowEnv(ctx);
  const start = async (label: string, roles: Role[]) => {
    const child = await forkChild(abort, label, opts.cpuProfDir);
    cleanup.push(`${label} process`, () => child.stop(!!abort.error));
    const init: InitMessage = { mode: 'hookflow', env, roles };
    return { child, info: await abort.race(child.request<HookflowInfo>('init', { init }, 180_000)) };
  };
  // The API process first: it applies the migrations the workers then find done.
  const api = await start(opts.workers === 0 ? 'hookflow' : 'hookflow-api', opts.workers === 0 ? ['api', 'worker'] : ['api']);
  const procs = [api.child];
  const workers = await Promise.all(Array.from({ length: opts.workers }, (_, i) => start(`hookflow-worker-${i + 1}`, ['worker'])));
  procs.push(...workers.map((w) => w.child));
  const taskQueue = api.info.taskQueue;
  const target: Target = {
    procs,
    db: api.child,
    taskQueue,
    runningQuery: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND EventType = '${HOOKFLOW_EVENT}'`,
  };
  const clients: HookflowApi[] = [];
  cleanup.push('API clients', async () => {
    for (const c of clients) await c.close(!abort.error);
  });
  const workspace = async (name: string) => {
    const ws = await abort.race(api.child.request<WorkspaceInfo>('workspace', { name }));
    const c = new HookflowApi(api.info.apiUrl!, ws.apiKey, opts.payloadBytes);
    clients.push(c);
    return c;
  };
  const main = await workspace('bench');
  // Retries 1 s apart so that injected failures complete within the run.
  const mainHooks = await main.createHooks(ctx.receivers.ok, [HOOKFLOW_EVENT], { schedule: ['1s'], jitter: 0 }, 10);
  const run: HookflowRun = {
    ctx,
    target,
    apiChild: api.child,
    apiUrl: api.info.apiUrl!,
    taskQueue,
    api: main,
    mainHooks,
    sustainedPerSec: null,
    checked: [{ api: main, hooks: mainHooks }],
    workspace,
  };
  return {
    target,
    publish: main.publisher(HOOKFLOW_EVENT, opts.webhooks),
    after: async (mode, result) => {
      run.sustainedPerSec = mode.main.deliveriesPerSec;
      result.scale = await runScale(run);
      if (opts.timers > 0) result.timers = await runTimers(run);
      if (opts.burstEvents > 0) result.burst = await runBurst(run);
      if (opts.fairnessDeliveries > 0) result.fairness = await runFairness(run);
      await checkDatabase(run, mode);
    },
  };
};
