import type { Db } from '../knex';

/** Hookflow's own settings stored beside the data (e.g. the encryption key check). */
export async function getMeta(db: Db, key: string): Promise<string | undefined> {
  const row = await db<{ key: string; value: string }>('hookflow_meta').where({ key }).first();
  return row?.value;
}

/** Stores the value unless the key is already set (a concurrent start-up may have set it). */
export async function setMetaIfAbsent(db: Db, key: string, value: string): Promise<void> {
  await db('hookflow_meta').insert({ key, value }).onConflict('key').ignore();
}
