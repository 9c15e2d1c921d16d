import { inject, describe, expect, it } from 'vitest';
import { createDb, ensureDatabase, migrateLatest, migrateRollbackAll } from '../../src/db/knex';

describe('migrations', () => {
  it('apply on an empty database, roll back completely and apply again', async () => {
    const u = new URL(inject('databaseUrl'));
    u.pathname = `${u.pathname}_mig`;
    await ensureDatabase(u.toString());
    const db = createDb(u.toString());
    try {
      const tables = async () =>
        (await db.raw(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'knex%' ORDER BY 1`)).rows.map((r: { tablename: string }) => r.tablename);
      expect((await migrateLatest(db)).length).toBeGreaterThan(0);
      expect(await tables()).toEqual(['api_keys', 'deliveries', 'delivery_attempts', 'event_types', 'events', 'hookflow_meta', 'idempotency_keys', 'notifications', 'webhooks', 'workspaces']);
      await migrateRollbackAll(db);
      expect(await tables()).toEqual([]);
      await migrateLatest(db);
      expect((await tables()).length).toBe(10);
    } finally {
      await db.destroy();
      const admin = new URL(u.toString());
      admin.pathname = '/postgres';
      const a = createDb(admin.toString());
      await a.raw(`DROP DATABASE IF EXISTS "${u.pathname.slice(1)}" WITH (FORCE)`);
      await a.destroy();
    }
  });
});
