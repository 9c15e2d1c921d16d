import type { Knex } from 'knex';

/**
 * Tenants over the API: a workspace carries the SaaS's own customer id (`uid`), its own limit of
 * active webhooks and a soft delete; portal sessions are short-lived tokens for one workspace
 * (only their sha256 is stored, as for API keys).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('workspaces', (t) => {
    t.text('uid');
    t.integer('max_active_webhooks');
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.raw('CREATE UNIQUE INDEX workspaces_uid ON workspaces (uid)');
  await knex.schema.createTable('portal_sessions', (t) => {
    t.text('id').primary();
    t.text('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('token_hash').notNullable().unique();
    t.boolean('read_only').notNullable().defaultTo(false);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.text('created_by_key_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['expires_at']);
  });
  // The bootstrap key of `hookflow start` administers tenants (an existing install's key too).
  await knex.raw(
    "UPDATE api_keys SET scopes = array_append(scopes, 'workspaces:admin') WHERE name = 'bootstrap' AND workspace_id = 'ws_default' AND NOT 'workspaces:admin' = ANY(scopes)",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("UPDATE api_keys SET scopes = array_remove(scopes, 'workspaces:admin')");
  await knex.schema.dropTableIfExists('portal_sessions');
  await knex.raw('DROP INDEX IF EXISTS workspaces_uid');
  await knex.schema.alterTable('workspaces', (t) => {
    t.dropColumn('deleted_at');
    t.dropColumn('max_active_webhooks');
    t.dropColumn('uid');
  });
}
