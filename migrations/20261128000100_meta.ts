import type { Knex } from 'knex';

/** Installation facts, e.g. a canary encrypted with the secrets key to detect a wrong key. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('hookflow_meta', (t) => {
    t.text('key').primary();
    t.text('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('hookflow_meta');
}
