import type { Knex } from 'knex';

/**
 * A workspace's share of the delivery task queue (Temporal fairness weight; 1 = an equal share,
 * 3 = three times as many dispatches while workspaces compete). Set by an admin for paid tiers.
 * The bounds are Temporal's own (weights are clamped to [0.001, 1000]).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('workspaces', (t) => {
    t.float('fairness_weight').notNullable().defaultTo(1);
  });
  await knex.raw('ALTER TABLE workspaces ADD CONSTRAINT workspaces_fairness_weight_range CHECK (fairness_weight BETWEEN 0.001 AND 1000)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('workspaces', (t) => t.dropColumn('fairness_weight'));
}
