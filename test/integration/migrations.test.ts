import { describe, expect, it } from 'vitest';
import { migrateLatest, migrateRollbackAll } from '../../src/db/knex';
import { withScratchDatabase } from '../helpers/scratch-db';

describe('migrations', () => {
  it('apply on an empty database, roll back completely and apply again', async () => {
    await withScratchDatabase('mig', async (db) => {
      const tables = async () =>
        (await db.raw(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'knex%' ORDER BY 1`)).rows.map(
          (r: { tablename: string }) => r.tablename,
        );
      expect((await migrateLatest(db)).length).toBeGreaterThan(0);
      expect(await tables()).toEqual([
        'api_keys',
        'deliveries',
        'delivery_attempts',
        'event_types',
        'events',
        'hookflow_meta',
        'idempotency_keys',
        'notifications',
        'portal_sessions',
        'webhook_send_slots',
        'webhooks',
        'workspaces',
      ]);
      await migrateRollbackAll(db);
      expect(await tables()).toEqual([]);
      await migrateLatest(db);
      expect((await tables()).length).toBe(12);
    });
  });
});
