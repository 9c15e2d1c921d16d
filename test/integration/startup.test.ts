import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { startHookflow, type Running } from '../../src/runtime';
import { api } from '../helpers/stack';

const root = path.resolve(__dirname, '..', '..');
const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-startup-'));
  dataDirs.push(dir);
  return dir;
}

/** The API role alone on the shared PostgreSQL and Temporal, its log lines collected. */
async function startApi(env: Record<string, string>): Promise<{ running: Running; logs: { level: number; msg: string }[] }> {
  const logs: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    HOOKFLOW_ENCRYPTION_KEY: inject('encryptionKey'),
    HOOKFLOW_DATA_DIR: tmpDir(),
    PORT: '0',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const running = await startHookflow(config, ['api'], { log: pino({ level: 'warn' }, sink), progress: () => {} });
  return { running, logs };
}

/** Processes whose command line names `dir`: the dev server's and PostgreSQL's name their data dir. */
function processesUsing(dir: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false; // exited meanwhile
      }
    });
}

describe('start-up', () => {
  it('goes on when the bootstrap key was revoked, and the key stays revoked', async () => {
    const key = `hf_bootstrap_${randomBytes(12).toString('hex')}`;
    const first = await startApi({ HOOKFLOW_BOOTSTRAP_API_KEY: key });
    try {
      const c = api(first.running.apiUrl!, key);
      const { body } = await c.get('/v1/api-keys?limit=100');
      const own = (body.data as { id: string; prefix: string }[]).find((k) => key.startsWith(k.prefix))!;
      expect((await c.delete(`/v1/api-keys/${own.id}`)).status).toBe(204);
    } finally {
      await first.running.stop();
    }

    const second = await startApi({ HOOKFLOW_BOOTSTRAP_API_KEY: key });
    try {
      expect(second.running.apiKey).toBeNull();
      expect((await api(second.running.apiUrl!, key).get('/v1/webhooks')).status).toBe(401);
      expect(second.logs).toContainEqual(
        expect.objectContaining({ level: 40, msg: expect.stringMatching(/bootstrap API key was revoked; it stays revoked/) }),
      );
    } finally {
      await second.running.stop();
    }
  });

  it('answers 408 and closes the connection when a body stays shorter than its Content-Length', async () => {
    const { running } = await startApi({ HOOKFLOW_REQUEST_TIMEOUT_MS: '1000', HOOKFLOW_HEADERS_TIMEOUT_MS: '1000' });
    try {
      const { port } = new URL(running.apiUrl!);
      const socket = net.connect(Number(port), '127.0.0.1');
      let reply = '';
      socket.on('data', (d) => (reply += String(d)));
      socket.write('POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type":');
      // Without request timeouts Node holds this connection for 300 s, past the test's timeout.
      await new Promise((resolve) => socket.once('close', resolve));
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await running.stop();
    }
  });

  it('stops with a clear message and a non-zero exit when PORT is taken, its PostgreSQL and Temporal children stopped too', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const dataDir = tmpDir();
    try {
      // `npm start` with nothing configured but PORT: embedded PostgreSQL and a Temporal dev server.
      const err = await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', 'start'], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, HOOKFLOW_DATA_DIR: dataDir, PORT: String(port), TEMPORAL_UI_PORT: '0' },
      }).then(
        () => null,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(err).toMatchObject({ code: 1 });
      expect(err!.stderr).toMatch(
        /starting embedded PostgreSQL[\s\S]*starting Temporal dev server|starting Temporal dev server[\s\S]*starting embedded PostgreSQL/,
      );
      expect(err!.stderr).toContain(`port ${port} on 127.0.0.1 is already in use; set PORT`);
      expect(err!.stderr).not.toMatch(/at \w+ \(/);
      expect(err!.stdout).not.toMatch(/Hookflow is running/);
      // The process has exited: a child still running on its data dir would be an orphan.
      expect(processesUsing(dataDir)).toEqual([]);
    } finally {
      taken.close();
    }
    // A whole `hookflow start` (tsx, initdb, a Temporal dev server) on a loaded machine: a generous bound.
  }, 180_000);
});
