/** The harness's side of the child-process protocol (bench/protocol.ts): fork, request, stop. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Abort } from './context';
import type { ChildReply, ChildRequest, SendMessage } from './protocol';

export interface RpcChild {
  label: string;
  pid: number;
  request<T>(type: ChildRequest['type'], payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  post(msg: SendMessage): void;
  /** `fast` after an abort: the infrastructure may be gone already. */
  stop(fast?: boolean): Promise<void>;
}

/**
 * How `npm start` / `npm run hookflow` (package.json) and the Docker image run Hookflow's
 * process, which the hookflow children copy (docs/benchmarks.md has what each saves):
 * - through scripts/node.sh, which sets the allocator up (jemalloc when the system has it,
 *   else glibc with fewer arenas and its mmap and trim thresholds at 128 KB) and execs node;
 * - a small V8 young generation (1 MB semi-spaces: ~60 MB less RSS with 10,000 sleepers);
 * - from source, tsx's CommonJS hook in the main thread (`--require tsx/cjs`) instead of its ESM
 *   loader thread (`--import tsx`, a second V8 isolate: ~25 MB). The Docker image runs the
 *   compiled JavaScript and needs neither.
 * test/unit/package-scripts.test.ts keeps the three in step.
 */
export const HOOKFLOW_PROCESS = {
  launcher: 'scripts/node.sh',
  nodeFlags: ['--max-semi-space-size=1'],
  sourceLoader: ['--require', 'tsx/cjs'],
};

/** Forks bench/child.ts; a child that dies outside `stop()` fails the run. */
export async function forkChild(abort: Abort, label: string, cpuProfDir?: string): Promise<RpcChild> {
  // tsx's CommonJS hook: the child runs bench/child.ts (and src/) from source like `npm run bench`.
  // One directory per process: Node writes one profile per thread (main, workers, …).
  const prof = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(cpuProfDir, label)] : [];
  // Every mode's child loads its TypeScript the same way, so their RSS compare.
  const hookflow = label.startsWith('hookflow');
  const shipped = hookflow ? HOOKFLOW_PROCESS : { nodeFlags: [] };
  const child: ChildProcess = fork(path.join(__dirname, 'child.ts'), [], {
    // The hookflow children start as Hookflow does: node exec'd by the launcher.
    ...(hookflow ? { execPath: path.resolve(__dirname, '..', HOOKFLOW_PROCESS.launcher) } : {}),
    execArgv: [...shipped.nodeFlags, ...HOOKFLOW_PROCESS.sourceLoader, '--expose-gc', ...prof],
    // The child's stdout (pino logs) goes to our stderr: stdout is the report.
    stdio: ['ignore', 2, 2, 'ipc'],
    env: process.env,
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  let stopping = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  child.on('exit', (code, sig) => {
    for (const p of pending.values()) p.reject(new Error(`${label} exited (code ${code}, signal ${sig})`));
    pending.clear();
    if (!stopping) abort.fail(new Error(`${label} process exited unexpectedly (code ${code}, signal ${sig})`));
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${label} did not start within 60 s`)), 60_000);
    child.once('exit', () => (clearTimeout(t), reject(new Error(`${label} exited during start`))));
    child.on('message', (m: ChildReply) => {
      if ('type' in m && m.type === 'hello') {
        clearTimeout(t);
        resolve();
      } else if ('type' in m && m.type === 'error') {
        abort.fail(new Error(`${label}: ${m.message}`));
      } else if ('id' in m) {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`${label}: ${m.error}`));
      }
    });
  });
  const rpc: RpcChild = {
    label,
    pid: child.pid!,
    request<T>(type: ChildRequest['type'], payload: Record<string, unknown> = {}, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${label} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => (pending.delete(id), reject(new Error(`${label}: ${type} timed out`))), timeoutMs);
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
