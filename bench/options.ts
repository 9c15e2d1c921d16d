import path from 'node:path';
import { parseArgs } from 'node:util';

export type Mode = 'ceiling' | 'floor' | 'limit' | 'hookflow';
export const MODES: Mode[] = ['ceiling', 'floor', 'limit', 'hookflow'];

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
  /** Burst phase (hookflow): events published as fast as the API accepts them; 0 to skip. */
  burstEvents: number;
  /** Concurrent producers of the burst and of workspace A's burst in the fairness phase. */
  burstProducers: number;
  /** Fairness phase (hookflow): deliveries of workspace A's burst; 0 to skip. */
  fairnessDeliveries: number;
  /** Workspace B publishes one event every this many ms. */
  fairnessIntervalMs: number;
  /** How long B publishes alone before A's burst (its baseline latency). */
  fairnessAloneSeconds: number;
  /** 0: API and worker in one process (`hookflow start`); N: one API process and N worker processes. */
  workers: number;
  /** Fail when no delivery arrives for this long. */
  stallTimeoutS: number;
  dataDir?: string;
  keepData?: boolean;
  databaseUrl?: string;
  temporalAddress?: string;
  /** Extra environment for the hookflow processes (tests: a shared database's encryption key; experiments: HOOKFLOW_EAGER=false). */
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
  burstEvents: 1000,
  burstProducers: 50,
  fairnessDeliveries: 5000,
  fairnessIntervalMs: 200,
  fairnessAloneSeconds: 10,
  workers: 0,
  stallTimeoutS: 120,
};

export const QUICK: Partial<BenchOptions> = {
  events: 100,
  scale: [],
  timers: 100,
  openLoopSeconds: 5,
  warmup: 10,
  burstEvents: 200,
  fairnessDeliveries: 1000,
  fairnessAloneSeconds: 5,
};

export const USAGE = `npm run bench -- [options]

  --events N                  events per mode (default ${DEFAULTS.events}); deliveries = events × webhooks
  --webhooks M                webhooks (receivers) per event (default ${DEFAULTS.webhooks})
  --concurrency C             events in flight in the closed loop (default ${DEFAULTS.concurrency})
  --payload-bytes B           size of each event's data (default ${DEFAULTS.payloadBytes})
  --receiver-failure-rate R   0..1: receivers answer 500 to that share of first attempts (default 0)
  --modes ${MODES.join(',')}
  --scale 1000,10000,100000   scale-curve sizes in deliveries, hookflow only (default ${DEFAULTS.scale.join(',')}; 0 to skip)
  --timers T                  deliveries left waiting on retry timers, hookflow only (default ${DEFAULTS.timers}; 0 to skip)
  --open-loop-seconds S       open-loop run at 10 % of the sustained rate (default ${DEFAULTS.openLoopSeconds}; 0 to skip)
  --warmup W                  warm-up events per mode (default ${DEFAULTS.warmup})
  --burst N                   burst of N events over HTTP, hookflow only (default ${DEFAULTS.burstEvents}; 0 to skip)
  --burst-producers C         concurrent producers of a burst (default ${DEFAULTS.burstProducers})
  --fairness N                workspace A's burst of N deliveries while B publishes steadily (default ${DEFAULTS.fairnessDeliveries}; 0 to skip)
  --fairness-interval-ms I    workspace B publishes one event every I ms (default ${DEFAULTS.fairnessIntervalMs})
  --fairness-alone-s S        B publishes alone for S seconds first, its baseline (default ${DEFAULTS.fairnessAloneSeconds})
  --workers N                 hookflow as one API process and N worker processes (default 0: one process, as \`hookflow start\`)
  --quick                     small run (${Object.entries(QUICK)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')})
  --data-dir DIR              data dir (default: a temp dir, removed afterwards)
  --keep-data                 keep the temp data dir
  --database-url URL          PostgreSQL to use (else env DATABASE_URL, else embedded)
  --temporal-address HOST:PORT  Temporal to use (else a dev server like \`hookflow start\`)
  --hookflow-env K=V          extra environment for the Hookflow processes (repeatable), e.g. HOOKFLOW_EAGER=false
  --cpu-prof DIR              write V8 CPU profiles of the worker processes into DIR
  --stall-timeout-s S         fail when nothing is delivered for S seconds (default ${DEFAULTS.stallTimeoutS})

Prints progress to stderr, then a table and one \`BENCH_JSON {...}\` line to stdout.`;

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${v}`);
  return n;
}

function num(name: string, v: string, min: number, max = Infinity): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= min && n <= max)) throw new Error(`--${name} must be a number in [${min}, ${max}], got ${v}`);
  return n;
}

/** Integer options: flag → [field, minimum]. */
const INTS: Record<string, [keyof BenchOptions, number]> = {
  events: ['events', 1],
  webhooks: ['webhooks', 1],
  concurrency: ['concurrency', 1],
  'payload-bytes': ['payloadBytes', 0],
  timers: ['timers', 0],
  warmup: ['warmup', 0],
  burst: ['burstEvents', 0],
  'burst-producers': ['burstProducers', 1],
  fairness: ['fairnessDeliveries', 0],
  'fairness-interval-ms': ['fairnessIntervalMs', 1],
  workers: ['workers', 0],
  'stall-timeout-s': ['stallTimeoutS', 1],
};

const STRINGS = [
  'receiver-failure-rate',
  'modes',
  'scale',
  'open-loop-seconds',
  'fairness-alone-s',
  'data-dir',
  'database-url',
  'temporal-address',
  'cpu-prof',
];

/** The command line of `npm run bench` (without --help, which run.ts handles). */
export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      ...Object.fromEntries([...Object.keys(INTS), ...STRINGS].map((k) => [k, { type: 'string' as const }])),
      'hookflow-env': { type: 'string', multiple: true },
      quick: { type: 'boolean' },
      'keep-data': { type: 'boolean' },
    },
  });
  const v = values as Record<string, string | undefined> & { 'hookflow-env'?: string[]; quick?: boolean; 'keep-data'?: boolean };
  const o: BenchOptions = { ...DEFAULTS, modes: [...DEFAULTS.modes], scale: [...DEFAULTS.scale], ...(v.quick ? QUICK : {}) };
  for (const [flag, [field, min]] of Object.entries(INTS)) {
    if (v[flag] !== undefined) (o as unknown as Record<string, number>)[field] = int(flag, v[flag]!, min);
  }
  if (v['receiver-failure-rate'] !== undefined) o.receiverFailureRate = num('receiver-failure-rate', v['receiver-failure-rate'], 0, 1);
  if (v['open-loop-seconds'] !== undefined) o.openLoopSeconds = num('open-loop-seconds', v['open-loop-seconds'], 0);
  if (v['fairness-alone-s'] !== undefined) o.fairnessAloneSeconds = num('fairness-alone-s', v['fairness-alone-s'], 0.2);
  if (v.scale !== undefined) {
    o.scale = v.scale === '0' || v.scale === '' ? [] : v.scale.split(',').map((s) => int('scale', s.trim().replace(/k$/i, '000'), 1));
  }
  if (v.modes !== undefined) {
    const ms = v.modes.split(',').map((s) => s.trim()) as Mode[];
    for (const m of ms) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} (${MODES.join(', ')})`);
    o.modes = MODES.filter((m) => ms.includes(m));
  }
  if (v['data-dir'] !== undefined) o.dataDir = v['data-dir'];
  if (v['keep-data']) o.keepData = true;
  if (v['database-url'] !== undefined) o.databaseUrl = v['database-url'];
  if (v['temporal-address'] !== undefined) o.temporalAddress = v['temporal-address'];
  if (v['cpu-prof'] !== undefined) o.cpuProfDir = path.resolve(v['cpu-prof']);
  for (const kv of v['hookflow-env'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--hookflow-env needs KEY=VALUE, got ${kv}`);
    o.hookflowEnv = { ...(o.hookflowEnv ?? {}), [kv.slice(0, eq)]: kv.slice(eq + 1) };
  }
  o.databaseUrl ??= env.DATABASE_URL || undefined;
  return o;
}

/** The options as the JSON output shows them: no callbacks, no passwords or keys. */
export function publicOptions(opts: BenchOptions): Omit<BenchOptions, 'progress' | 'signal'> {
  const { progress: _p, signal: _s, ...rest } = opts;
  return {
    ...rest,
    databaseUrl: rest.databaseUrl?.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@'),
    // The encryption key of a shared test database stays out of the output.
    hookflowEnv: rest.hookflowEnv
      ? Object.fromEntries(Object.entries(rest.hookflowEnv).map(([k, val]) => [k, /KEY|SECRET|PASSWORD|URL/.test(k) ? '***' : val]))
      : undefined,
  };
}
