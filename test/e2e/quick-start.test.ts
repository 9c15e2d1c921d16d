import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded';
import { deliveryWorkflowId } from '../../workflows/definitions';
import { givenReceiver } from '../helpers/receiver';
import { api } from '../helpers/stack';
import { eventually, workflowClosed } from '../helpers/wait';

const root = path.resolve(__dirname, '..', '..');
const runCommand = async (cmd: string, args: string[], env: NodeJS.ProcessEnv) =>
  (await promisify(execFile)(cmd, args, { cwd: root, env })).stdout;

/** All descendants of `pid`, read from /proc (Linux). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

interface Started {
  child: ChildProcess;
  output: () => string;
  apiUrl: string;
  key: string;
  uiUrl: string;
}

/** Nothing configured but a data dir and free ports: what a user's fresh machine has. */
async function freshEnv(dataDir: string): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOOKFLOW_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  };
}

async function startHookflow(env: NodeJS.ProcessEnv): Promise<Started> {
  // Exactly the README's command; npm forwards SIGTERM to Hookflow.
  // Its own process group, like a terminal's foreground job, so Ctrl-C can be sent to all of it.
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const banner = await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`hookflow start exited ${child.exitCode}:\n${out}`);
      const m = /API:\s+(\S+)[\s\S]*Temporal Web UI:\s+(\S+)[\s\S]*API key:\s+(\S+)/.exec(out);
      return m ? { apiUrl: m[1], uiUrl: m[2], key: m[3] } : null;
    },
    120_000,
    'the start banner',
  );
  return { child, output: () => out, ...banner };
}

/** SIGTERM to npm (a service manager), or Ctrl-C: SIGINT to the whole process group (a terminal). */
async function stopAndCheckNoOrphans(s: Started, how: 'SIGTERM' | 'ctrl-c' = 'SIGTERM'): Promise<void> {
  const tree = descendants(s.child.pid!);
  expect(tree.length).toBeGreaterThan(2); // npm → node → temporal, postgres
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  if (how === 'ctrl-c') process.kill(-s.child.pid!, 'SIGINT');
  else s.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await eventually(async () => tree.every((p) => !alive(p)), 15_000, `children ${tree.filter(alive).join(',')} to exit`);
}

describe('quick start (`hookflow start` on a fresh data dir)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-qs-'));
  fs.chmodSync(dataDir, 0o755);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts embedded PostgreSQL + Temporal + API + worker, delivers, stops cleanly (SIGTERM, then Ctrl-C) and restarts on the same data', async () => {
    const env = await freshEnv(dataDir);
    const receiver = await givenReceiver();
    const first = await startHookflow({ ...env, LOG_LEVEL: 'debug' });
    let secret = '';
    try {
      const ready = await fetch(`${first.apiUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect((await fetch(first.uiUrl)).status).toBe(200);
      // The printed portal serves its page and script with no build step; the bootstrap key is an admin key.
      const portal = /Webhook portal:\s+(\S+)/.exec(first.output())![1];
      expect((await fetch(portal)).headers.get('content-security-policy')).toContain("script-src 'self'");
      expect((await fetch(`${portal}app.js`)).status).toBe(200);
      const c = api(first.apiUrl, first.key);
      expect((await c.get('/v1/workspaces')).status).toBe(200);
      const wh = await c.post('/v1/webhooks', { url: receiver.url, events: ['task.created'] });
      expect(wh.status).toBe(201);
      const ev = await c.post('/v1/events', { type: 'task.created', data: { n: 1 } });
      expect(ev.status).toBe(202);
      const [req] = await receiver.waitFor(1);
      new Webhook(wh.body.secret).verify(req.body, req.headers as Record<string, string>);
      secret = wh.body.secret;
      const metrics = await eventually(
        async () => {
          const text = await (await fetch(`${first.apiUrl}/metrics`)).text();
          return text.includes('hookflow_deliveries_total{status="success",profile="standard"} 1') ? text : null;
        },
        10_000,
        'delivery metrics',
      );
      expect(metrics).toContain('hookflow_events_published_total 1');
      expect(metrics).toContain('hookflow_webhooks{status="active"} 1');
      expect(metrics).toMatch(/hookflow_publish_to_first_attempt_seconds_count 1/);
      expect(metrics).toMatch(/hookflow_api_request_duration_seconds_count\{method="POST",route="\/v1\/events",status="202"\} 1/);
      // CLI commands find the running embedded PostgreSQL without DATABASE_URL (the banner shows it too).
      expect(first.output()).toMatch(/PostgreSQL:\s+postgres:\/\/\S+\/hookflow/);
      const seeded = await runCommand('npm', ['run', '--silent', 'hookflow', '--', 'seed-event-types', '--profile', 'generic'], env);
      expect(seeded).toMatch(/generic: \d+ event types added to ws_default/);
      // The embedded Temporal keeps closed workflows as long as PostgreSQL keeps rows (30 days).
      const ns = JSON.parse(
        await runCommand(
          resolveTemporalCli(),
          ['operator', 'namespace', 'describe', '--namespace', 'default', '--address', `127.0.0.1:${env.TEMPORAL_DEV_PORT}`, '-o', 'json'],
          env,
        ),
      );
      expect(ns.config.workflowExecutionRetentionTtl).toBe(`${30 * 86_400}s`);
    } finally {
      await stopAndCheckNoOrphans(first);
    }
    // Debug logs name the delivery but never the secret.
    expect(first.output()).toMatch(/"deliveryId":"dlv_/);
    expect(first.output()).not.toContain(secret.slice('whsec_'.length));
    expect(fs.existsSync(path.join(dataDir, 'temporal', 'temporal.sqlite'))).toBe(true);

    const second = await startHookflow(env);
    try {
      expect(second.key).toBe(first.key);
      const list = await api(second.apiUrl, second.key).get('/v1/webhooks');
      expect(list.body.data).toHaveLength(1);
      expect(second.output()).toContain('database schema up to date');
    } finally {
      // Ctrl-C reaches PostgreSQL and Temporal as well; shutdown must still complete.
      await stopAndCheckNoOrphans(second, 'ctrl-c');
      await receiver.close();
    }
  }, 300_000);

  it('SIGTERM during a delivery lets the attempt finish: nothing lost, nothing doubled', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-sigterm-'));
    fs.chmodSync(dir, 0o755);
    const env = await freshEnv(dir);
    const receiver = await givenReceiver({ replies: [{ status: 200, delayMs: 3000 }] });
    try {
      const first = await startHookflow(env);
      const c = api(first.apiUrl, first.key);
      const wh = (await c.post('/v1/webhooks', { url: receiver.url, events: ['*'] })).body;
      const ev = (await c.post('/v1/events', { type: 'a.b', data: {} })).body;
      await receiver.waitFor(1); // the attempt is in flight: the receiver answers in 3 s
      await stopAndCheckNoOrphans(first);

      const second = await startHookflow(env);
      try {
        const d = await eventually(
          async () => {
            const r = (await api(second.apiUrl, second.key).get(`/v1/deliveries/${ev.deliveries[0].id}`)).body;
            return r.status === 'success' ? r : null;
          },
          20_000,
          'the delivery to be recorded',
        );
        expect(d.attempt_log).toHaveLength(1);
        // Once the workflow has closed no attempt can run any more: only then count the requests.
        const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_DEV_PORT}` });
        try {
          const closed = await workflowClosed(new Client({ connection }), deliveryWorkflowId(ev.id, wh.id));
          expect(closed.status).toBe('COMPLETED');
        } finally {
          await connection.close();
        }
        expect(receiver.requests).toHaveLength(1);
      } finally {
        await stopAndCheckNoOrphans(second);
      }
    } finally {
      await receiver.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
