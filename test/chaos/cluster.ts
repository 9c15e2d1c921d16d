/**
 * The chaos run's processes, each separate so each can be killed on its own: an embedded
 * PostgreSQL it owns (stop / start on the same data dir and port), a Temporal dev server on a
 * SQLite file (SIGKILL / restart on the same file), and Hookflow's `api` and `worker` roles
 * started from src/cli.ts as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';

const root = path.resolve(__dirname, '..', '..');

/** Polls `fn` until it is truthy or `timeoutMs` has passed. */
async function until(what: string, timeoutMs: number, fn: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One Hookflow role (`api` or `worker`) as a child process, restartable after a SIGKILL. */
export class RoleProcess {
  private child: ChildProcess | null = null;
  private output = '';
  /** Restarts so far (a SIGKILL followed by a start). */
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly role: 'api' | 'worker',
    private readonly env: Record<string, string>,
    private readonly apiUrl: string | null,
    /** Where its output goes (kept with --keep). */
    private readonly logPath: string,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** The last lines it printed (for a failure message). */
  tail(): string {
    return this.output.split('\n').slice(-20).join('\n');
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', this.role], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const logFile = fs.createWriteStream(this.logPath, { flags: 'a' });
    logFile.write(`--- start ${this.restarts} (pid ${child.pid})\n`);
    let ready = false;
    let recent = '';
    const collect = (b: Buffer) => {
      logFile.write(b);
      this.output = (this.output + b.toString()).slice(-20_000);
      recent = (recent + b.toString()).slice(-500);
      if (recent.includes(`${this.role} ready`)) ready = true;
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', () => logFile.end());
    await until(`${this.name} to be ready`, 120_000, async () => {
      if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode}:\n${this.tail()}`);
      if (this.apiUrl)
        return fetch(`${this.apiUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      return ready;
    });
  }

  /** SIGKILL: no shutdown path runs, in-flight attempts are lost mid-way. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    this.restarts++;
    await this.start();
  }

  /** SIGTERM and wait (the end of the run). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface Cluster {
  apiUrl: string;
  apiKey: string;
  databaseUrl: string;
  temporalAddress: string;
  api: RoleProcess;
  workers: RoleProcess[];
  /** Stops PostgreSQL (fast shutdown) and starts it again on the same data dir and port after `downMs`. */
  bouncePostgres(downMs: number): Promise<void>;
  /** SIGKILLs the Temporal dev server and starts it again on the same SQLite file and port. */
  killTemporal(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts PostgreSQL, Temporal, one API and `workers` worker processes under `dir`. */
export async function startCluster(dir: string, opts: { workers: number; log: (m: string) => void }): Promise<Cluster> {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const pgDir = path.join(dir, 'postgres');
  const temporalDir = path.join(dir, 'temporal');
  const pgPort = await freePort(55432);
  const temporalPort = await freePort(17233);
  let pg: EmbeddedPostgres = await startEmbeddedPostgres(pgDir, { port: pgPort });
  const cli = resolveTemporalCli();
  const startTemporal = () => startDevServer({ cli, dataDir: temporalDir, port: temporalPort, uiPort: null });
  let temporal: DevServer = await startTemporal();
  opts.log(`PostgreSQL on ${pgPort}, Temporal on ${temporal.address} (${path.join(temporalDir, 'temporal.sqlite')})`);

  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const apiKey = `hf_chaos_${Date.now().toString(36)}_bootstrap`;
  const env = {
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    HOOKFLOW_DATA_DIR: path.join(dir, 'hookflow'),
    HOOKFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    HOOKFLOW_BOOTSTRAP_API_KEY: apiKey,
    // Events whose workflow starts were lost with a killed API are re-dispatched within seconds.
    HOOKFLOW_RECONCILE_AFTER_S: '5',
    LOG_LEVEL: 'warn',
  };
  const api = new RoleProcess('api', 'api', { ...env, PORT: String(apiPort) }, apiUrl, path.join(dir, 'api.log'));
  const workers = Array.from(
    { length: opts.workers },
    (_, i) => new RoleProcess(`worker-${i + 1}`, 'worker', env, null, path.join(dir, `worker-${i + 1}.log`)),
  );
  // Migrations run in each role's start-up: start one first so the others find the schema.
  await api.start();
  await Promise.all(workers.map((w) => w.start()));
  opts.log(`api (pid ${api.pid}) on ${apiUrl}, ${workers.map((w) => `${w.name} (pid ${w.pid})`).join(', ')}`);

  return {
    apiUrl,
    apiKey,
    databaseUrl: pg.url,
    temporalAddress: temporal.address,
    api,
    workers,
    async bouncePostgres(downMs) {
      await pg.stop();
      await new Promise((r) => setTimeout(r, downMs));
      pg = await startEmbeddedPostgres(pgDir, { port: pgPort });
    },
    async killTemporal() {
      const exited = new Promise((resolve) => temporal.process.once('exit', resolve));
      temporal.process.kill('SIGKILL');
      await exited;
      temporal = await startTemporal();
    },
    async stop() {
      await Promise.all([api, ...workers].map((p) => p.stop()));
      await temporal.stop();
      await pg.stop();
    },
  };
}
