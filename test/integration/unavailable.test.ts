import { Client, Connection } from '@temporalio/client';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startEmbeddedPostgres } from '../../src/db/embedded';
import { createDb, ensureDatabase, migrateLatest } from '../../src/db/knex';
import { resolveTemporalCli } from '../../src/temporal/binaries';
import { startDevServer } from '../../src/temporal/dev-server';
import { api, givenApi, givenWorkspace, useStack } from '../helpers/stack';

const stack = useStack({}, { roles: ['api'] });

// A hang (the defect) shows as this abort, not as the test's own timeout.
const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as any };
};

describe('a dependency that is down', () => {
  it('PostgreSQL stopped: 503 problem naming the database, with Retry-After', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-pg-down-'));
    // An ephemeral port: PostgreSQL's default range is what other tests' embedded servers use.
    const pg = await startEmbeddedPostgres(path.join(dir, 'pg'), { port: await freePort() });
    const db = createDb(pg.url);
    let app: Awaited<ReturnType<typeof givenApi>> | undefined;
    try {
      await ensureDatabase(pg.url);
      await migrateLatest(db);
      const { key } = await givenWorkspace(db);
      app = await givenApi({ ...stack.deps, db });
      const url = app.url;
      const c = api(url, key);
      expect((await c.get('/v1/webhooks')).status).toBe(200);

      await pg.stop();
      // The key is cached, so the handler's query meets the dead pool; an unknown key meets it
      // in authentication.
      for (const res of [
        await c.get('/v1/webhooks'),
        await c.post('/v1/events', { type: 'a.b', data: {} }),
        await api(url, 'hf_unknown').get('/v1/webhooks'),
      ]) {
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.body).toMatchObject({
          status: 503,
          title: 'Service Unavailable',
          detail: expect.stringMatching(/database \(PostgreSQL\) is unavailable/),
        });
      }
      const ready = await readyz(url);
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toMatchObject({ temporal: 'ok' });
      expect(ready.body.checks.postgres).not.toBe('ok');
    } finally {
      await app?.close();
      await db.destroy();
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Temporal hung: /readyz says 503 once its probe’s bound has passed, instead of hanging', async () => {
    const dev = await startDevServer({ cli: resolveTemporalCli(), dataDir: null, port: await freePort(), uiPort: null });
    const connection = await Connection.connect({ address: dev.address });
    const app = await givenApi({ ...stack.deps, client: new Client({ connection }) });
    try {
      expect(await readyz(app.url)).toMatchObject({ status: 200, body: { checks: { postgres: 'ok', temporal: 'ok' } } });
      // A hung Temporal (SIGSTOP: the port stays open, nothing answers) is the case a probe
      // without a bound waits on forever. A SIGKILLed one is refused at once, and the SDK's
      // gRPC retry interceptor then keeps retrying on timers that outlive Connection.close()
      // (they throw "Channel has been shut down" into the test process), so this test hangs it.
      process.kill(dev.process.pid!, 'SIGSTOP');
      const ready = await readyz(app.url);
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('not ready');
      expect(ready.body.checks.postgres).toBe('ok');
      // Ended by the probe's bound (gRPC deadline or our timer), not by a quick refusal.
      expect(ready.body.checks.temporal).toMatch(/deadline|no answer within 500 ms/i);
    } finally {
      await app.close();
      await connection.close();
      process.kill(dev.process.pid!, 'SIGCONT');
      await dev.stop();
    }
  });
});
