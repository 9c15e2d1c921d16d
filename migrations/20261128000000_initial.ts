import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workspaces', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('notification_url');
    t.specificType('notification_kinds', 'text[]');
    t.boolean('enforce_event_catalog').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.text('id').primary();
    t.text('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('prefix').notNullable();
    t.text('key_hash').notNullable().unique();
    t.specificType('scopes', 'text[]').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('event_types', (t) => {
    t.text('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.jsonb('schema');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'name']);
  });

  await knex.schema.createTable('webhooks', (t) => {
    t.text('id').primary();
    t.text('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('url').notNullable();
    t.text('method').notNullable().defaultTo('POST');
    t.text('content_type').notNullable().defaultTo('application/json');
    t.specificType('events', 'text[]').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.text('disabled_reason');
    t.text('profile').notNullable().defaultTo('standard');
    t.text('signature_scheme').notNullable();
    t.text('signature_header');
    t.text('secret_enc');
    t.text('previous_secret_enc');
    t.timestamp('previous_secret_expires_at', { useTz: true });
    t.jsonb('custom_headers').notNullable().defaultTo('{}');
    t.jsonb('retry_policy').notNullable();
    t.integer('max_attempts').notNullable();
    t.integer('timeout_ms').notNullable().defaultTo(30000);
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('failing_since', { useTz: true });
    t.boolean('failing_notified').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
    t.index(['workspace_id', 'status']);
  });

  await knex.schema.createTable('events', (t) => {
    t.text('id').primary();
    t.text('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('type').notNullable();
    t.jsonb('payload').notNullable();
    t.text('idempotency_key');
    t.text('request_hash');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('dispatched_at', { useTz: true });
    t.unique(['workspace_id', 'idempotency_key']);
  });
  // The reconciler scans only undispatched events.
  await knex.raw('CREATE INDEX events_undispatched ON events (created_at) WHERE dispatched_at IS NULL');

  await knex.schema.createTable('deliveries', (t) => {
    t.text('id').primary();
    t.text('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('event_id').notNullable().references('events.id').onDelete('CASCADE');
    t.text('webhook_id').notNullable().references('webhooks.id').onDelete('CASCADE');
    t.text('event_type').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true });
    t.integer('last_response_code');
    t.integer('last_response_time_ms');
    t.text('last_error');
    t.boolean('is_test').notNullable().defaultTo(false);
    t.text('workflow_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.index(['webhook_id', 'id']);
    t.index(['event_id']);
  });
  await knex.raw('CREATE UNIQUE INDEX deliveries_event_webhook ON deliveries (event_id, webhook_id) WHERE NOT is_test');

  await knex.schema.createTable('delivery_attempts', (t) => {
    t.text('id').primary();
    t.text('delivery_id').notNullable().references('deliveries.id').onDelete('CASCADE');
    t.integer('attempt_no').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.integer('duration_ms').notNullable();
    t.integer('response_code');
    t.text('response_body');
    t.text('error_class');
    t.text('error_message');
    t.text('trigger').notNullable().defaultTo('scheduled');
    t.unique(['delivery_id', 'attempt_no']);
  });

  await knex.schema.createTable('notifications', (t) => {
    t.text('id').primary();
    t.text('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('webhook_id').references('webhooks.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.jsonb('payload').notNullable();
    t.text('sent_status').notNullable().defaultTo('stored');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['workspace_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['notifications', 'delivery_attempts', 'deliveries', 'events', 'webhooks', 'event_types', 'api_keys', 'workspaces']) {
    await knex.schema.dropTableIfExists(table);
  }
}
