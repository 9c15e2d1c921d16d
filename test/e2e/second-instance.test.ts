import { Connection } from '@temporalio/client';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, portIsFree, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { DEFAULT_DEV_PORT, startDevServer, type DevServer } from '../../src/temporal/dev-server';

const root = path.resolve(__dirname, '..', '..');
const hookflow = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli.ts', ...args], {
    cwd: root,
    // A regression (start-up going on) must not leave the process behind.
    timeout: 90_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );

/** A stack trace line as Node prints it: "    at fn (file:line:col)". */
const STACK_LINE = /^\s+at .+[(:]\d+/m;

describe('a second Hookflow on the same machine (issue 11, items 7 and 8)', () => {
  // Another instance's Temporal: a dev server on a port we then ask for.
  let first: DevServer;
  beforeAll(async () => {
    first = await startDevServer({ cli: resolveTemporalCli(), dataDir: null, port: await freePort(), uiPort: null });
  });
  afterAll(async () => {
    await first?.stop();
  });

  it('never joins a Temporal it did not start: an explicitly configured port that is taken stops start-up', async () => {
    const port = Number(first.address.split(':')[1]);
    await expect(startDevServer({ cli: resolveTemporalCli(), dataDir: null, port, uiPort: null })).rejects.toThrow(
      /TEMPORAL_DEV_PORT=\d+: port \d+ is already in use/,
    );
  });

  it('moves to the next free port when 7233 is held by something else, and runs its own server there', async () => {
    // Hold the default port (unless another process already does): a listener that is not ours.
    const holder = net.createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(DEFAULT_DEV_PORT, '127.0.0.1', () => resolve());
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-second-'));
    try {
      expect(await portIsFree(DEFAULT_DEV_PORT)).toBe(false);
      // No port configured: 7233 or the next free one; the UI port likewise from gRPC + 1000.
      const second = await startDevServer({ cli: resolveTemporalCli(), dataDir: dir });
      try {
        expect(second.address).not.toBe(`127.0.0.1:${DEFAULT_DEV_PORT}`);
        expect(second.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        // It is the child's own server: it answers, and persists into this data dir.
        const conn = await Connection.connect({ address: second.address });
        await conn.workflowService.getSystemInfo({});
        await conn.close();
        expect(fs.existsSync(path.join(dir, 'temporal.sqlite'))).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`hookflow start` with a taken TEMPORAL_DEV_PORT exits 1 with a clear message and no stack trace', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-second-'));
    fs.chmodSync(dir, 0o755);
    try {
      const r = await hookflow(['start'], {
        HOOKFLOW_DATA_DIR: dir,
        DATABASE_URL: inject('databaseUrl'),
        PORT: String(await freePort()),
        TEMPORAL_DEV_PORT: first.address.split(':')[1],
        TEMPORAL_UI_PORT: '0',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/TEMPORAL_DEV_PORT=\d+: port \d+ is already in use/);
      expect(r.stderr).not.toMatch(STACK_LINE);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reusing a data dir that a running instance holds exits 1 with the message and no stack trace', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-held-'));
    fs.chmodSync(dir, 0o755);
    // What the running instance holds: its embedded PostgreSQL in the data dir.
    let pg: EmbeddedPostgres | null = null;
    try {
      pg = await startEmbeddedPostgres(path.join(dir, 'postgres'));
      const r = await hookflow(['start'], {
        HOOKFLOW_DATA_DIR: dir,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        PORT: String(await freePort()),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is already running \(pid \d+\); is another Hookflow using this data dir\?/);
      expect(r.stderr).not.toMatch(STACK_LINE);
    } finally {
      await pg?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
