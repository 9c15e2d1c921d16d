import type { Knex } from 'knex';

/**
 * Operational notifications go to the workspace's notification URL through a hidden "system"
 * webhook, so they use the same delivery machinery (signing, retries, log).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhooks', (t) => {
    t.boolean('is_system').notNullable().defaultTo(false);
  });
  await knex.raw('CREATE UNIQUE INDEX webhooks_one_system ON webhooks (workspace_id) WHERE is_system AND deleted_at IS NULL');
  await knex.schema.alterTable('notifications', (t) => {
    t.text('event_id').references('events.id').onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => t.dropColumn('event_id'));
  await knex.raw('DROP INDEX IF EXISTS webhooks_one_system');
  await knex.schema.alterTable('webhooks', (t) => t.dropColumn('is_system'));
}
