import type { Knex } from 'knex';

/**
 * Issue 13: what each attempt sent (request records), content filters and per-endpoint rate
 * limits on webhooks, the send-slot table of the throttle, and the indexes that the workspace
 * lists and the retention purge read by. Deliveries gain the `skipped` status (a text column:
 * no schema change).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('delivery_attempts', (t) => {
    t.text('request_url');
    t.text('request_method');
    t.jsonb('request_headers');
    t.text('request_body');
  });
  await knex.schema.alterTable('webhooks', (t) => {
    t.jsonb('filter');
    t.integer('rate_limit_per_s');
  });
  // One row per throttled webhook: the next free send slot (advanced by 1/rate per reservation)
  // and the times of the latest sends (the guard that keeps late timers from bunching up).
  await knex.schema.createTable('webhook_send_slots', (t) => {
    t.text('webhook_id').primary().references('webhooks.id').onDelete('CASCADE');
    t.timestamp('next_slot_at', { useTz: true }).notNullable();
    t.specificType('recent_sends', 'timestamptz[]').notNullable().defaultTo('{}');
  });
  await knex.schema.alterTable('deliveries', (t) => t.index(['workspace_id', 'id'], 'deliveries_workspace_id'));
  await knex.schema.alterTable('events', (t) => {
    t.index(['workspace_id', 'id'], 'events_workspace_id');
    t.index(['created_at'], 'events_created_at');
  });
  await knex.schema.alterTable('notifications', (t) => t.index(['created_at'], 'notifications_created_at'));
  await knex.schema.alterTable('idempotency_keys', (t) => t.index(['created_at'], 'idempotency_keys_created_at'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => t.dropIndex(['created_at'], 'idempotency_keys_created_at'));
  await knex.schema.alterTable('notifications', (t) => t.dropIndex(['created_at'], 'notifications_created_at'));
  await knex.schema.alterTable('events', (t) => {
    t.dropIndex(['workspace_id', 'id'], 'events_workspace_id');
    t.dropIndex(['created_at'], 'events_created_at');
  });
  await knex.schema.alterTable('deliveries', (t) => t.dropIndex(['workspace_id', 'id'], 'deliveries_workspace_id'));
  await knex.schema.dropTableIfExists('webhook_send_slots');
  await knex.schema.alterTable('webhooks', (t) => {
    t.dropColumn('filter');
    t.dropColumn('rate_limit_per_s');
  });
  await knex.schema.alterTable('delivery_attempts', (t) => {
    t.dropColumn('request_url');
    t.dropColumn('request_method');
    t.dropColumn('request_headers');
    t.dropColumn('request_body');
  });
}
