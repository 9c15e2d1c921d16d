import { inject } from 'vitest';
import { createDb, ensureDatabase, type Db } from '../../src/db/knex';

/** Runs `fn` on a fresh, empty database next to the shared test database, dropped afterwards. */
export async function withScratchDatabase(suffix: string, fn: (db: Db) => Promise<void>): Promise<void> {
  const u = new URL(inject('databaseUrl'));
  u.pathname = `${u.pathname}_${suffix}`;
  await ensureDatabase(u.toString());
  const db = createDb(u.toString());
  try {
    await fn(db);
  } finally {
    await db.destroy();
    const admin = new URL(u.toString());
    admin.pathname = '/postgres';
    const a = createDb(admin.toString());
    await a.raw(`DROP DATABASE IF EXISTS "${u.pathname.slice(1)}" WITH (FORCE)`);
    await a.destroy();
  }
}
