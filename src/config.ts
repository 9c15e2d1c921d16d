import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_WORKER_SLOTS } from './temporal/worker-slots';
import { DEFAULT_DISPATCH_AHEAD_SHARED } from './services/ahead';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no', '']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** The whole configuration, parsed once from the environment. Nothing else reads process.env. */
export const ConfigSchema = z.object({
  /** HTTP port of the API. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * Longest time (ms) the API waits for a whole request, body included: a client that announces
   * more body than it sends (or sends it very slowly) is cut off after this, not Node's 300 s.
   */
  HOOKFLOW_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  /** Longest time (ms) the API waits for a request's headers (at most the request timeout). */
  HOOKFLOW_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  /** Interface the API listens on. */
  HOST: z.string().default('127.0.0.1'),
  /** PostgreSQL URL; when absent, `start` runs an embedded PostgreSQL in the data dir. */
  DATABASE_URL: z.string().url().optional(),
  /** Port of the embedded PostgreSQL (0 = first free port from 54329). */
  HOOKFLOW_EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Temporal frontend address; when absent, `start` runs a Temporal dev server. */
  TEMPORAL_ADDRESS: z.string().optional(),
  /** Temporal namespace. */
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Task queue of the delivery workflows and activities. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('hookflow'),
  /**
   * Base URL of the Temporal Web UI, for the deep links in `GET /v1/deliveries/:id`
   * (`temporal_ui_url`) and `hookflow delivery show`. Unset: the embedded dev server's UI, else
   * http://127.0.0.1:8233 (the dev server's default). Set it to your cluster's UI (e.g.
   * https://temporal.example.com or Temporal Cloud's https://cloud.temporal.io).
   */
  HOOKFLOW_TEMPORAL_UI_URL: z.string().url().optional(),
  /**
   * Tracing (OpenTelemetry, off by default): `otlp` or `console` turns it on; so does an OTLP
   * endpoint below. The trace runs from `POST /v1/events` through the workflow start, the
   * workflow and the attempt activity to the outgoing request, which carries `traceparent`.
   */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); traces go to `<url>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** OTLP/HTTP URL for traces, used as is (wins over OTEL_EXPORTER_OTLP_ENDPOINT). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  /** `service.name` of the spans. */
  OTEL_SERVICE_NAME: z.string().min(1).default('hookflow'),
  /** `true` turns tracing off whatever else is set (the OpenTelemetry convention). */
  OTEL_SDK_DISABLED: bool.default(false),
  /** Path of the `temporal` CLI; else PATH, else .tools/venv/bin/temporal. */
  TEMPORAL_CLI: z.string().optional(),
  /**
   * gRPC port of the embedded Temporal dev server. Unset: 7233, or the next free port when
   * something else (another Hookflow) holds it; set: that port or a start-up error.
   */
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Web UI port of the embedded Temporal dev server (unset: gRPC port + 1000, or the next free one; 0: no UI). */
  TEMPORAL_UI_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Directory for embedded PostgreSQL, Temporal's SQLite file, generated keys. */
  HOOKFLOW_DATA_DIR: z.string().default('./.hookflow'),
  /** API key created (or kept) for the default workspace at start-up. */
  HOOKFLOW_BOOTSTRAP_API_KEY: z.string().min(16).optional(),
  /** 32-byte base64 key encrypting webhook secrets (AES-256-GCM); dev mode generates one. */
  HOOKFLOW_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  /** Comma-separated CIDRs that outgoing webhooks may reach despite being private. */
  HOOKFLOW_ALLOW_PRIVATE_TARGETS: z.string().default(''),
  /** Maximum active webhooks per workspace. */
  HOOKFLOW_MAX_WEBHOOKS: z.coerce.number().int().min(1).default(25),
  /** Base URL of this API as the SaaS's customers reach it, for portal links; else the request's own host. */
  HOOKFLOW_PUBLIC_URL: z.string().url().optional(),
  /** CSP frame-ancestors of the portal: the origins that may show it in an iframe. */
  HOOKFLOW_PORTAL_FRAME_ANCESTORS: z.string().min(1).default("'self'"),
  /** Maximum event payload size in bytes. */
  HOOKFLOW_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /**
   * Deliveries this process has accepted but not yet started as workflows, past which
   * `POST /v1/events` answers 503 with Retry-After and stores nothing. The backlog grows when
   * Temporal is slow or down; it lives in memory (a crash leaves it to the reconciler).
   */
  HOOKFLOW_MAX_DISPATCH_BACKLOG: z.coerce.number().int().min(1).default(10_000),
  /**
   * Deliveries one worker runs at once (workflow-task, activity and local-activity slots, and
   * cached workflows). Each in-flight attempt holds a slot for its HTTP request.
   */
  HOOKFLOW_WORKER_SLOTS: z.coerce.number().int().min(1).max(2000).default(DEFAULT_WORKER_SLOTS),
  /**
   * Pacing of a process that runs the API and a worker (`hookflow start`): deliveries it has
   * started that its worker has not picked up yet, at most (default: DEFAULT_DISPATCH_AHEAD, 8,
   * or HOOKFLOW_WORKER_SLOTS if fewer). A burst then waits in the dispatcher's weighted turns
   * across workspaces rather than in Temporal's queues and the worker, where another workspace's
   * next delivery would wait behind it. 0 turns pacing off.
   */
  HOOKFLOW_DISPATCH_AHEAD: z.coerce.number().int().min(0).max(100_000).optional(),
  /**
   * One workspace's share of that window while a lighter workspace is publishing too (started
   * something in the last 2 s, nothing waiting for its turn): a busy workspace keeps at most this
   * many starts ahead of the worker, so the other's delivery shares the machine with less of its
   * burst; alone, or while every active workspace has a backlog, a workspace uses the whole
   * window. 0 (or at least HOOKFLOW_DISPATCH_AHEAD) turns the share off.
   */
  HOOKFLOW_DISPATCH_AHEAD_SHARED: z.coerce.number().int().min(0).max(100_000).default(DEFAULT_DISPATCH_AHEAD_SHARED),
  /**
   * Ingest first: while concurrent publishes of a workspace keep arriving (a burst), the
   * dispatcher holds that workspace's starts (others' go on) for up to this many milliseconds at
   * a time, so the burst is stored at the database's speed; then starts run (at least 250 ms)
   * before another hold. 0 turns it off.
   */
  HOOKFLOW_INGEST_HOLD_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** Seconds after which the reconciler re-dispatches an undispatched event. */
  HOOKFLOW_RECONCILE_AFTER_S: z.coerce.number().min(0).default(10),
  /** Seconds the previous secret stays valid (and is signed with) after a rotation. */
  HOOKFLOW_SECRET_ROTATION_OVERLAP_S: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86400)
    .default(86400),
  /**
   * Days that events (with their deliveries and attempts), notifications and idempotency keys
   * are kept; a scheduled job purges older ones in small batches, and the embedded Temporal dev
   * server keeps closed workflows as long. 0 keeps everything forever.
   */
  HOOKFLOW_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** `production` requires https webhook URLs. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Use eager workflow start and eager activities when API and worker share a process. */
  HOOKFLOW_EAGER: bool.default(true),
});

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string };

/** A start-up failure whose message tells the user everything: printed without a stack trace. */
export class StartupError extends Error {}

/** A bad or missing setting. */
export class ConfigError extends StartupError {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`PORT=` in a compose file) means "not set", not zero or "".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.HOOKFLOW_DATA_DIR) };
}
