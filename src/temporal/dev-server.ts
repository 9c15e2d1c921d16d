import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SA } from '../../workflows/definitions';
import { StartupError } from '../config';
import { freePort, portIsFree } from '../db/embedded';

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Waits until the child says its frontend is up and the port accepts connections. The port was
 * free when the child was spawned, so the listener is the child's, not another server's.
 */
async function waitForStart(port: number, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new StartupError(`temporal dev server exited with code ${child.exitCode}:\n${output()}`);
    const ok =
      /Temporal Server:/.test(output()) &&
      (await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }));
    if (ok && child.exitCode === null) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StartupError(`temporal dev server did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
}

export const DEFAULT_DEV_PORT = 7233;

/**
 * The port to bind: `wanted` when given (taken → a start-up error naming the setting), else
 * `preferred` or the next free one, as the embedded PostgreSQL does. Another Hookflow's
 * Temporal on 7233 must never be mistaken for ours.
 */
async function choosePort(wanted: number | undefined, preferred: number, setting: string): Promise<number> {
  if (wanted === undefined) return freePort(preferred);
  if (!(await portIsFree(wanted))) {
    throw new StartupError(
      `${setting}=${wanted}: port ${wanted} is already in use by another process (another Hookflow or Temporal?); choose a free port or leave ${setting} unset to use the next free one`,
    );
  }
  return wanted;
}

/**
 * Server settings Hookflow relies on; a cluster operator sets the same in the cluster's dynamic
 * config (docs/operations.md, "Temporal cluster settings").
 * - eager activity execution: a regular attempt can start on the worker that scheduled it;
 * - multi-operations (update-with-start): on since the first version; Hookflow does not need it;
 * - task-queue priority and fairness (off by default in Server 1.32): each delivery carries its
 *   workspace as fairness key, so one workspace's backlog cannot starve another's deliveries,
 *   and tests and manual retries carry a higher priority than bulk replays. `enableFairness`
 *   implies the priority matcher (`useNewMatcher`), set as well for clarity; `enableMigration`
 *   drains a backlog written before fairness was on (an older data dir) instead of stranding it.
 */
export const DEV_DYNAMIC_CONFIG = [
  'system.enableActivityEagerExecution=true',
  'frontend.enableExecuteMultiOperation=true',
  'matching.useNewMatcher=true',
  'matching.enableFairness=true',
  'matching.enableMigration=true',
];

export interface DevServerOptions {
  cli: string;
  dataDir: string | null;
  /** gRPC port; unset: 7233 or the next free one. */
  port?: number;
  /** Web UI port; unset: gRPC port + 1000 or the next free one; null: no UI. */
  uiPort?: number | null;
  log?: (line: string) => void;
}

/** Tries of ports we chose ourselves, each lost to another process between check and bind. */
const PORT_RACE_TRIES = 5;

/**
 * Starts `temporal server start-dev` with SQLite persistence in `dataDir` (WAL, so commits do
 * not fsync one by one), the delivery search attributes registered, and DEV_DYNAMIC_CONFIG.
 * The child dies with us: it is killed on stop and on our exit.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  let preferred = DEFAULT_DEV_PORT;
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort(opts.port, preferred, 'TEMPORAL_DEV_PORT');
    const uiPort = opts.uiPort === null ? null : await choosePort(opts.uiPort, port + 1000, 'TEMPORAL_UI_PORT');
    try {
      return await launch(opts, port, uiPort);
    } catch (err) {
      // A port we chose was free when checked but taken before the child bound it (another
      // server starting beside us): move on to the next one, as the embedded PostgreSQL does.
      const chosen = opts.port === undefined || opts.uiPort === undefined;
      if (!chosen || attempt >= PORT_RACE_TRIES || !/bind: address already in use/.test((err as Error).message)) throw err;
      preferred = port + 1;
    }
  }
}

async function launch(opts: DevServerOptions, port: number, uiPort: number | null): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (opts.dataDir) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    args.push('--db-filename', path.join(opts.dataDir, 'temporal.sqlite'));
    args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  if (uiPort) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  args.push(...Object.keys(SA).flatMap((name) => ['--search-attribute', `${name}=Keyword`]));
  args.push(...DEV_DYNAMIC_CONFIG.flatMap((kv) => ['--dynamic-config-value', kv]));

  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (b: Buffer) => {
    const s = b.toString();
    out = (out + s).slice(-8000);
    opts.log?.(s.trimEnd());
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForStart(port, child, 60_000, () => out);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : null,
    process: child,
    stop,
  };
}
