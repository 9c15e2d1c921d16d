/**
 * One bench process, forked by the harness (bench/processes.ts) so that each mode's RSS and CPU
 * are its own: the producer (load generator) and the receivers stay in the parent. Modes:
 *   ceiling   signs and POSTs each event to every receiver (undici, no DB, no Temporal)
 *   floor     a Temporal Worker running bench/naive's naiveDelivery (workflow + regular activity)
 *   limit     a Worker running limitDelivery plus a Client on the same connection that starts
 *             each delivery eagerly (workflow + local activity)
 *   hookflow  startHookflow(config, roles): the API and the worker in this process, or one role
 * The messages are in bench/protocol.ts.
 */
// First: the allocator's preload stays out of the processes this one starts.
import '../src/allocator';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Agent, request } from 'undici';
import { workerSlots } from '../src/temporal/worker-slots';
import { createNaiveActivities } from './naive/activities';
import type {
  ChildRequest,
  ChildStats,
  DbStats,
  EventMessage,
  HookflowInfo,
  InitMessage,
  ReceiverRef,
  SendMessage,
  StartResult,
  WorkspaceInfo,
} from './protocol';
import { standardEnvelope, standardSignatureHeaders } from './signing';

const send = (msg: unknown) => process.send?.(msg);
const log = (m: string) => process.stderr.write(`  [child ${process.pid}] ${m}\n`);

/** What the mode's init installs; the requests call into it. */
interface Handlers {
  stop?: () => Promise<void>;
  send?: (m: EventMessage) => void;
  start?: (m: EventMessage) => Promise<StartResult>;
  dbStats?: (webhookIds: string[]) => Promise<DbStats>;
  workspace?: (name: string) => Promise<WorkspaceInfo>;
}
let handlers: Handlers = {};

function stats(gc: boolean): ChildStats {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, cpuMs: (c.user + c.system) / 1000 };
}

/** The same connection pool shape as Hookflow's sender (64 keep-alive connections per origin). */
const senderAgent = () => new Agent({ connections: 64, keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });

async function initCeiling(init: Extract<InitMessage, { mode: 'ceiling' }>): Promise<Record<string, unknown>> {
  const agent = senderAgent();
  const post = async (r: ReceiverRef, msgId: string, body: string, attempt: number): Promise<void> => {
    const headers = standardSignatureHeaders(r.secret, msgId, Math.floor(Date.now() / 1000), body);
    let status = 0;
    try {
      const res = await request(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        dispatcher: agent,
      });
      await res.body.dump();
      status = res.statusCode;
    } catch (err) {
      send({ type: 'error', message: `ceiling POST to ${r.url} failed: ${(err as Error).message}` });
      return;
    }
    if (status >= 200 && status < 300) return;
    if (attempt >= init.maxAttempts) {
      send({ type: 'error', message: `ceiling: ${msgId} still HTTP ${status} after ${attempt} attempts` });
      return;
    }
    // The same 1 s retry delay as the bench webhooks' retry schedule.
    setTimeout(() => void post(r, msgId, body, attempt + 1), init.retryDelayMs);
  };
  handlers = {
    send: (m) => {
      const body = standardEnvelope(m.eventId, m.type_, new Date(m.createdAt), m.data);
      init.receivers.forEach((r, i) => void post(r, `msg_${m.eventId}_${i}`, body, 1));
    },
    stop: () => agent.close(),
  };
  return {};
}

/** floor and limit: one bundle (bench/naive/workflows.ts), Hookflow's slot and cache sizes. */
async function initTemporal(init: Extract<InitMessage, { mode: 'floor' | 'limit' }>): Promise<Record<string, unknown>> {
  // ERROR, not WARN: with --receiver-failure-rate every retried activity would log a stack.
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const agent = senderAgent();
  const connection = await NativeConnection.connect({ address: init.address });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'naive', 'workflows.ts'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const worker = await Worker.create({
    connection,
    namespace: init.namespace,
    taskQueue: init.taskQueue,
    workflowBundle,
    activities: createNaiveActivities(new Map(init.receivers.map((r) => [r.url, r.secret])), agent),
    ...workerSlots(),
  });
  const running = worker.run();
  running.catch((err) => send({ type: 'error', message: `${init.mode} worker stopped: ${(err as Error).message}` }));
  handlers.stop = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => {});
    await connection.close();
    await agent.close();
  };
  if (init.mode === 'limit') {
    // Eager start needs the starting client on the worker's own connection.
    const client = new Client({ connection, namespace: init.namespace });
    handlers.start = async (m) => {
      const body = standardEnvelope(m.eventId, m.type_, new Date(m.createdAt), m.data);
      const handles = await Promise.all(
        init.receivers.map((r, i) =>
          client.workflow.start('limitDelivery', {
            taskQueue: init.taskQueue,
            workflowId: `limit-${m.eventId}-${i}`,
            args: [r.url, m.eventId, body],
            requestEagerStart: true,
          }),
        ),
      );
      return { started: handles.length, eager: handles.filter((h) => h.eagerlyStarted).length };
    };
  }
  return { taskQueue: init.taskQueue };
}

async function initHookflow(init: Extract<InitMessage, { mode: 'hookflow' }>): Promise<HookflowInfo> {
  // Loaded here: the floor and limit children never load Hookflow's modules. With require, not
  // import(): the children run under tsx's CommonJS hook (--require tsx/cjs), as Hookflow ships.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadConfig } = require('../src/config') as typeof import('../src/config');
  const { startHookflow } = require('../src/runtime') as typeof import('../src/runtime');
  const { createApiKey } = require('../src/db/repositories/api-keys') as typeof import('../src/db/repositories/api-keys');
  const { ensureWorkspace } = require('../src/db/repositories/workspaces') as typeof import('../src/db/repositories/workspaces');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = loadConfig(init.env);
  const running = await startHookflow(config, init.roles, { progress: (m) => log(`hookflow ${init.roles.join('+')}: ${m}`) });
  const db = running.db;
  handlers.stop = () => running.stop();
  // Workspaces of the bench's own, so a shared database (the CI smoke test) sees no foreign rows.
  handlers.workspace = async (name) => {
    const workspaceId = `ws_bench_${randomBytes(6).toString('hex')}`;
    await ensureWorkspace(db, workspaceId, name);
    const { key } = await createApiKey(db, { workspaceId, name: 'bench' });
    return { workspaceId, apiKey: key };
  };
  handlers.dbStats = async (webhookIds) => {
    const rows = webhookIds.length
      ? await db('deliveries').whereIn('webhook_id', webhookIds).groupBy('status').select('status').count('* as n')
      : [];
    const att = webhookIds.length
      ? await db('delivery_attempts as a')
          .join('deliveries as d', 'd.id', 'a.delivery_id')
          .whereIn('d.webhook_id', webhookIds)
          .count('* as n')
          .first()
      : { n: 0 };
    const size = await db.raw(
      'select pg_database_size(current_database()) as b, (select xact_commit + xact_rollback from pg_stat_database where datname = current_database()) as x',
    );
    return {
      byStatus: Object.fromEntries(rows.map((r) => [String(r.status), Number(r.n)])),
      attempts: Number(att?.n ?? 0),
      databaseBytes: Number(size.rows[0].b),
      transactions: Number(size.rows[0].x),
    };
  };
  return { apiUrl: running.apiUrl, taskQueue: config.TEMPORAL_TASK_QUEUE };
}

function need<K extends keyof Handlers>(name: K): NonNullable<Handlers[K]> {
  const fn = handlers[name];
  if (!fn) throw new Error(`${name} is not available in this mode`);
  return fn as NonNullable<Handlers[K]>;
}

async function handle(msg: ChildRequest): Promise<unknown> {
  switch (msg.type) {
    case 'init':
      if (msg.init.mode === 'ceiling') return initCeiling(msg.init);
      if (msg.init.mode === 'hookflow') return initHookflow(msg.init);
      return initTemporal(msg.init);
    case 'stats':
      return stats(!!msg.gc);
    case 'dbStats':
      return need('dbStats')(msg.webhookIds);
    case 'start':
      return need('start')(msg);
    case 'workspace':
      return need('workspace')(msg.name);
    case 'stop': {
      const stop = handlers.stop;
      handlers = {};
      await stop?.();
      return {};
    }
  }
}

process.on('message', (raw: ChildRequest | SendMessage) => {
  if (raw.type === 'send') {
    handlers.send?.(raw);
    return;
  }
  const msg = raw;
  handle(msg).then(
    (result) => send({ id: msg.id, ok: true, result }),
    (err: Error) => send({ id: msg.id, ok: false, error: err?.stack ?? String(err) }),
  );
});

// The parent went away (crash, Ctrl-C): stop what we started and leave.
process.on('disconnect', () => {
  const done = () => process.exit(0);
  (handlers.stop ? handlers.stop() : Promise.resolve()).then(done, done);
  setTimeout(done, 15_000).unref();
  // An orphan was once seen asleep an hour later (its exit blocked in the Temporal runtime).
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 25_000).unref();
});
process.on('SIGINT', () => {
  /* the parent coordinates shutdown */
});
send({ type: 'hello', pid: process.pid });
