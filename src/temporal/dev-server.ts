import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SA } from '../../workflows/definitions';

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}:\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`temporal dev server did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts `temporal server start-dev` with SQLite persistence in `dataDir` (WAL, so commits do
 * not fsync one by one), the delivery search attributes registered, and eager activity
 * execution on. The child dies with us: it is killed on stop and on our exit.
 */
export async function startDevServer(opts: {
  cli: string;
  dataDir: string | null;
  port: number;
  uiPort: number | null;
  log?: (line: string) => void;
}): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.dataDir) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    args.push('--db-filename', path.join(opts.dataDir, 'temporal.sqlite'));
    args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  args.push(...Object.keys(SA).flatMap((name) => ['--search-attribute', `${name}=Keyword`]));
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');

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
    await waitForPort(opts.port, child, 60_000, () => out);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null,
    process: child,
    stop,
  };
}
