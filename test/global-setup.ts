import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded';
import { createDb, ensureDatabase, migrateLatest } from '../src/db/knex';
import { resolveTemporalCli } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/dev-server';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    /** One secrets key for the run: test files share the database and its key check. */
    encryptionKey: string;
  }
}

/**
 * One PostgreSQL database and one Temporal dev server for the whole run. DATABASE_URL (CI points
 * it at the machine's server) gets a fresh database; without it an embedded PostgreSQL runs.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-test-'));
  fs.chmodSync(tmp, 0o755);
  let base = process.env.DATABASE_URL;
  if (!base) {
    const pg = await startEmbeddedPostgres(path.join(tmp, 'pg'));
    stops.push(() => pg.stop());
    base = pg.url;
  }
  const u = new URL(base);
  u.pathname = `/hookflow_test_${process.pid}_${Date.now()}`;
  const databaseUrl = u.toString();
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl);
  await migrateLatest(db);
  await db.destroy();
  stops.push(async () => {
    const admin = new URL(databaseUrl);
    admin.pathname = '/postgres';
    const a = createDb(admin.toString());
    await a.raw(`DROP DATABASE IF EXISTS "${u.pathname.slice(1)}" WITH (FORCE)`).catch(() => {});
    await a.destroy();
  });

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    const dev = await startDevServer({ cli: resolveTemporalCli(), dataDir: null, port: await freePort(), uiPort: null });
    stops.push(() => dev.stop());
    temporalAddress = dev.address;
  }
  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporalAddress);
  project.provide('encryptionKey', randomBytes(32).toString('base64'));

  return async () => {
    for (const stop of stops.reverse()) await stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
}
