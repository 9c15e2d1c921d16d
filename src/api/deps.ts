import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Cidr } from '../delivery/ssrf';
import type { DispatchDeps } from '../services/dispatch';
import type { Dispatcher } from '../services/dispatcher';
import type { SecretBox } from '../signing/secret-box';

/** Everything the API needs, built once by the process roles (start / api). */
export interface ApiDeps {
  config: Config;
  db: Db;
  client: Client;
  secretBox: SecretBox;
  /** CIDRs webhook URLs may point to despite being private (HOOKFLOW_ALLOW_PRIVATE_TARGETS). */
  allow: Cidr[];
  log: Logger;
  dispatch: DispatchDeps;
  /** Base URL of the Temporal Web UI for deep links (HOOKFLOW_TEMPORAL_UI_URL or the dev server's). */
  temporalUiUrl: string;
  /** Starts the workflows of published events after their commit. */
  dispatcher: Dispatcher;
  metrics?: Metrics;
}
