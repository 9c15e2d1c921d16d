import type { Knex } from 'knex';
import * as initial from './20261128000000_initial';
import * as meta from './20261128000100_meta';
import * as systemWebhooks from './20261128000200_system_webhooks';
import * as idempotency from './20261128000300_idempotency';
import * as idempotencyExpiry from './20261128000400_idempotency_expiry_index';
import * as features from './20261130000000_features';
import * as tenants from './20261130220000_tenants';
import * as fairnessWeight from './20261130230000_fairness_weight';

// Listed explicitly (not read from disk) so migrations run the same under tsx, from dist/ and
// from a bundled install.
const migrations: Record<string, Knex.Migration> = {
  '20261128000000_initial': initial,
  '20261128000100_meta': meta,
  '20261128000200_system_webhooks': systemWebhooks,
  '20261128000300_idempotency': idempotency,
  '20261128000400_idempotency_expiry_index': idempotencyExpiry,
  '20261130000000_features': features,
  '20261130220000_tenants': tenants,
  '20261130230000_fairness_weight': fairnessWeight,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
