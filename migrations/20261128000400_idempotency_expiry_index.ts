import type { Knex } from 'knex';

/** The reconciler frees event idempotency keys after 24 h; this keeps that scan small. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX events_idempotency_created ON events (created_at) WHERE idempotency_key IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS events_idempotency_created');
}
