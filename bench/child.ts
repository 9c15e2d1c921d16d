/**
 * One bench "worker" process, forked by the harness (bench/harness.ts) so that each mode's
 * worker RSS and CPU are its own: the producer (load generator) and the receivers stay in the
 * parent. Modes:
 *   ceiling   signs and POSTs each event to every receiver (undici, no DB, no Temporal)
 *   floor     a Temporal Worker running bench/naive (one workflow + one regular activity)
 *   hookflow  startHookflow(config, ['api','worker']): the API and the worker in this process
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Agent, request } from 'undici';
import { createNaiveActivities } from './naive/activities';
import { standardEnvelope, standardSignatureHeaders } from './signing';

export type ChildMode = 'ceiling' | 'floor' | 'hookflow';

export interface ReceiverRef {
  url: string;
  secret: string;
}

export type InitMessage =
  | { mode: 'ceiling'; receivers: ReceiverRef[]; retryDelayMs: number; maxAttempts: number }
  | { mode: 'floor'; address: string; namespace: string; taskQueue: string; receivers: ReceiverRef[] }
  | { mode: 'hookflow'; env: Record<string, string> };

export interface SendMessage {
  type: 'send';
  phase: string;
  seq: number;
  eventId: string;
  createdAt: number;
  type_: string;
  data: unknown;
}

export interface ChildStats {
  rss: number;
  heapUsed: number;
  cpuMs: number;
}

export interface DbStats {
  byStatus: Record<string, number>;
  attempts: number;
  databaseBytes: number;
  /** Committed + rolled-back transactions of the database so far (autocommit statements count one each). */
  transactions: number;
}

type Request_ = { id: number; type: 'init'; init: InitMessage } | { id: number; type: 'stats'; gc?: boolean } | { id: number; type: 'dbStats'; webhookIds: string[] } | { id: number; type: 'stop' };

const send = (msg: unknown) => process.send?.(msg);
const log = (m: string) => process.stderr.write(`  [child ${process.pid}] ${m}\n`);

let stopFn: (() => Promise<void>) | null = null;
let onSend: ((m: SendMessage) => void) | null = null;
let dbStatsFn: ((webhookIds: string[]) => Promise<DbStats>) | null = null;

function stats(gc: boolean): ChildStats {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, cpuMs: (c.user + c.system) / 1000 };
}

async function initCeiling(init: Extract<InitMessage, { mode: 'ceiling' }>): Promise<Record<string, unknown>> {
  // The same connection pool shape as Hookflow's sender (64 keep-alive connections per origin).
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
  const post = async (r: ReceiverRef, msgId: string, body: string, attempt: number): Promise<void> => {
    const headers = standardSignatureHeaders(r.secret, msgId, Math.floor(Date.now() / 1000), body);
    let status = 0;
    try {
      const res = await request(r.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, dispatcher: agent });
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
  onSend = (m) => {
    const body = standardEnvelope(m.eventId, m.type_, new Date(m.createdAt), m.data);
    init.receivers.forEach((r, i) => void post(r, `msg_${m.eventId}_${i}`, body, 1));
  };
  stopFn = async () => {
    await agent.close();
  };
  return {};
}

async function initFloor(init: Extract<InitMessage, { mode: 'floor' }>): Promise<Record<string, unknown>> {
  // ERROR, not WARN: with --receiver-failure-rate every retried activity would log a stack.
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
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
    // The same slot counts as Hookflow's worker (src/temporal/worker.ts).
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
  });
  const running = worker.run();
  running.catch((err) => send({ type: 'error', message: `floor worker stopped: ${(err as Error).message}` }));
  stopFn = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => {});
    await connection.close();
    await agent.close();
  };
  return { taskQueue: init.taskQueue };
}

async function initHookflow(init: Extract<InitMessage, { mode: 'hookflow' }>): Promise<Record<string, unknown>> {
  const [{ loadConfig }, { startHookflow }, { createApiKey }, { ensureWorkspace }] = await Promise.all([
    import('../src/config'),
    import('../src/runtime'),
    import('../src/db/repositories/api-keys'),
    import('../src/db/repositories/workspaces'),
  ]);
  const config = loadConfig(init.env);
  const running = await startHookflow(config, ['api', 'worker'], { progress: (m) => log(`hookflow: ${m}`) });
  // A workspace of its own, so a shared database (the CI smoke test) sees no foreign rows.
  const workspaceId = `ws_bench_${randomBytes(6).toString('hex')}`;
  await ensureWorkspace(running.db, workspaceId, 'bench');
  const { key } = await createApiKey(running.db, { workspaceId, name: 'bench' });
  dbStatsFn = async (webhookIds) => {
    const db = running.db;
    const rows = webhookIds.length ? await db('deliveries').whereIn('webhook_id', webhookIds).groupBy('status').select('status').count('* as n') : [];
    const att = webhookIds.length
      ? await db('delivery_attempts as a').join('deliveries as d', 'd.id', 'a.delivery_id').whereIn('d.webhook_id', webhookIds).count('* as n').first()
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
  stopFn = () => running.stop();
  return { apiUrl: running.apiUrl, apiKey: key, workspaceId, taskQueue: config.TEMPORAL_TASK_QUEUE };
}

async function handle(msg: Request_): Promise<unknown> {
  switch (msg.type) {
    case 'init':
      if (msg.init.mode === 'ceiling') return initCeiling(msg.init);
      if (msg.init.mode === 'floor') return initFloor(msg.init);
      return initHookflow(msg.init);
    case 'stats':
      return stats(!!msg.gc);
    case 'dbStats':
      if (!dbStatsFn) throw new Error('dbStats only in hookflow mode');
      return dbStatsFn(msg.webhookIds);
    case 'stop':
      await stopFn?.();
      stopFn = null;
      return {};
  }
}

process.on('message', (raw: Request_ | SendMessage) => {
  if ((raw as SendMessage).type === 'send') {
    onSend?.(raw as SendMessage);
    return;
  }
  const msg = raw as Request_;
  handle(msg).then(
    (result) => send({ id: msg.id, ok: true, result }),
    (err: Error) => send({ id: msg.id, ok: false, error: err?.stack ?? String(err) }),
  );
});

// The parent went away (crash, Ctrl-C): stop what we started and leave.
process.on('disconnect', () => {
  const done = () => process.exit(0);
  (stopFn ? stopFn() : Promise.resolve()).then(done, done);
  setTimeout(done, 15_000).unref();
});
process.on('SIGINT', () => {
  /* the parent coordinates shutdown */
});
send({ type: 'hello', pid: process.pid });
