import knex, { type Knex } from 'knex';
import { migrationSource } from '../../migrations';

export type Db = Knex;

export function createDb(url: string, pool = { min: 0, max: 10 }): Db {
  return knex({ client: 'pg', connection: url, pool });
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource });
  return applied as string[];
}

export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}

/** Creates the database named in `url` if it does not exist (connects to `postgres`). */
export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const admin = createDb(u.toString(), { min: 0, max: 1 });
  try {
    const { rows } = await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [name]);
    if (rows.length === 0) await admin.raw('CREATE DATABASE ??', [name]);
  } finally {
    await admin.destroy();
  }
}

/** One round trip to PostgreSQL (readiness). */
export async function ping(db: Db): Promise<void> {
  await db.raw('select 1');
}
