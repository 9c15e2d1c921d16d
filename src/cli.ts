#!/usr/bin/env node
import './allocator';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, StartupError, type Config } from './config';
import path from 'node:path';
import { runningEmbeddedUrl } from './db/embedded';
import { createDb, ensureDatabase, migrateLatest } from './db/knex';
import { createApiKey, SCOPES, WORKSPACE_SCOPES, type Scope } from './db/repositories/api-keys';
import { upsertEventType } from './db/repositories/event-types';
import { DEFAULT_WORKSPACE, ensureWorkspace, setFairnessWeight } from './db/repositories/workspaces';
import { SEED_EVENT_TYPES } from './domain/seed-event-types';
import { showDelivery } from './delivery-show';
import { parseReceiverArgs, runReceiver } from './receiver';
import { createLogger } from './logger';
import { startHookflow, type Role } from './runtime';

const USAGE = `hookflow <command>

  start                 everything in one process: embedded PostgreSQL (unless DATABASE_URL),
                        Temporal dev server (unless TEMPORAL_ADDRESS), API and worker
  api                   the HTTP API only (needs DATABASE_URL and TEMPORAL_ADDRESS)
  worker                the Temporal worker only (needs DATABASE_URL and TEMPORAL_ADDRESS)
  migrate               apply database migrations (DATABASE_URL)
  keys create --workspace <id> [--name <n>] [--scopes a,b | --admin]
                        create an API key (printed once)
  workspaces set-weight --workspace <id> --weight <0.001-1000>
                        a workspace's share of the delivery queue while workspaces compete
                        (Temporal fairness weight; 1 = equal share); see docs/operations.md
  seed-event-types --profile productive|gitproductivity|generic [--workspace <id>]
                        load a seed system's event types into a workspace's catalog
  delivery show <dlv_id>
                        a delivery, its attempts and the \`temporal\` commands that act on it
                        (needs DATABASE_URL; TEMPORAL_ADDRESS for the workflow's state)
  receiver --secret <s> [--scheme standard|productive|sha256|hex] [--port 4000]
                        a small receiver that verifies signatures, for trying Hookflow out

  migrate, keys, workspaces and seed-event-types use DATABASE_URL, else the embedded
  PostgreSQL of a running \`hookflow start\` on the same HOOKFLOW_DATA_DIR.

Configuration is read from the environment; see README.md.`;

/** DATABASE_URL, else the embedded PostgreSQL of a running `hookflow start` on the same data dir. */
function databaseUrl(config: Config, command: string): string {
  const url = config.DATABASE_URL ?? runningEmbeddedUrl(path.join(config.dataDir, 'postgres'));
  if (!url)
    throw new ConfigError(`hookflow ${command} needs DATABASE_URL, or \`npm start\` running on the same data dir (${config.dataDir})`);
  return url;
}

/** A subcommand's `--flag value` options and `--switch`es (node:util parseArgs); an unknown flag is an error. */
function flags<K extends string, B extends string = never>(
  args: string[],
  names: readonly K[],
  switches: readonly B[] = [],
): { values: Partial<Record<K, string>> & Partial<Record<B, boolean>>; positionals: string[] } {
  const options = Object.fromEntries([
    ...names.map((n) => [n, { type: 'string' as const }]),
    ...switches.map((n) => [n, { type: 'boolean' as const }]),
  ]);
  try {
    const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options });
    return { values: values as Partial<Record<K, string>> & Partial<Record<B, boolean>>, positionals };
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

async function runRoles(config: Config, roles: Role[], banner: boolean): Promise<void> {
  const log = createLogger(config.LOG_LEVEL, 'hookflow', { pretty: config.NODE_ENV === 'development' });
  const progress = (m: string) => process.stderr.write(`hookflow: ${m}\n`);
  const started = Date.now();
  const running = await startHookflow(config, roles, { log, progress });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    progress(`${signal}: shutting down`);
    await running.stop();
    progress('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // One line an operator (or a supervisor, or the chaos run) can wait for.
  if (!banner) progress(`${roles.join('+')} ready`);
  if (banner) {
    const lines = [
      '',
      `  Hookflow is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      running.apiUrl ? `  API:             ${running.apiUrl}   (health: ${running.apiUrl}/readyz)` : null,
      running.uiUrl ? `  Temporal Web UI: ${running.uiUrl}` : `  Temporal:        ${running.temporalAddress}`,
      running.apiKey ? `  API key:         ${running.apiKey}` : null,
      running.apiUrl ? `  Webhook portal:  ${running.apiUrl}/portal/   (sign in with the API key)` : null,
      config.DATABASE_URL ? null : `  PostgreSQL:      ${running.databaseUrl}   (CLI commands find it by themselves)`,
      '',
      running.apiUrl && running.apiKey ? `  try: curl -H "Authorization: Bearer ${running.apiKey}" ${running.apiUrl}/v1/webhooks` : null,
      '  Ctrl-C stops everything.',
      '',
    ].filter((l) => l !== null);
    process.stdout.write(lines.join('\n') + '\n');
  }
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...args] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const config = loadConfig();
  switch (cmd) {
    case 'start':
      return runRoles(config, ['api', 'worker'], true);
    case 'api':
    case 'worker':
      if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS)
        throw new ConfigError(`hookflow ${cmd} needs DATABASE_URL and TEMPORAL_ADDRESS (use \`hookflow start\` for the embedded setup)`);
      return runRoles(config, [cmd], false);
    case 'migrate': {
      const url = databaseUrl(config, 'migrate');
      await ensureDatabase(url);
      const db = createDb(url);
      try {
        const applied = await migrateLatest(db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'keys': {
      const { values, positionals } = flags(args, ['workspace', 'name', 'scopes'], ['admin']);
      const admin = values.admin === true;
      if (positionals.join(' ') !== 'create')
        throw new ConfigError('usage: hookflow keys create --workspace <id> [--name <n>] [--scopes a,b | --admin]');
      const workspace = values.workspace;
      if (!workspace) throw new ConfigError('--workspace <id> is required');
      const scopes = (values.scopes?.split(',') ?? (admin ? [...SCOPES] : WORKSPACE_SCOPES)) as Scope[];
      const bad = scopes.filter((s) => !SCOPES.includes(s));
      if (bad.length) throw new ConfigError(`unknown scopes: ${bad.join(', ')} (known: ${SCOPES.join(', ')})`);
      const db = createDb(databaseUrl(config, 'keys'));
      try {
        await ensureWorkspace(db, workspace, workspace);
        const { key, row } = await createApiKey(db, { workspaceId: workspace, name: values.name ?? 'cli', scopes });
        process.stdout.write(`${key}\n`);
        process.stderr.write(`created ${row.id} for ${workspace} with scopes ${scopes.join(',')}; store it now, it is not shown again\n`);
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'workspaces': {
      const { values, positionals } = flags(args, ['workspace', 'weight']);
      const usage = 'usage: hookflow workspaces set-weight --workspace <id> --weight <0.001-1000>';
      if (positionals.join(' ') !== 'set-weight' || !values.workspace || values.weight === undefined) throw new ConfigError(usage);
      const weight = Number(values.weight);
      if (!(weight >= 0.001 && weight <= 1000))
        throw new ConfigError(`--weight must be a number from 0.001 to 1000 (Temporal's range), not "${values.weight}"`);
      const db = createDb(databaseUrl(config, 'workspaces'));
      try {
        if (!(await setFairnessWeight(db, values.workspace, weight))) throw new ConfigError(`no workspace ${values.workspace}`);
        process.stdout.write(`${values.workspace}: fairness weight ${weight} (applies to deliveries started from now on)\n`);
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'seed-event-types': {
      const { values } = flags(args, ['profile', 'workspace']);
      const profile = values.profile as keyof typeof SEED_EVENT_TYPES | undefined;
      if (!profile || !(profile in SEED_EVENT_TYPES))
        throw new ConfigError(`--profile must be one of ${Object.keys(SEED_EVENT_TYPES).join(', ')}`);
      const workspace = values.workspace ?? DEFAULT_WORKSPACE;
      const db = createDb(databaseUrl(config, 'seed-event-types'));
      try {
        await ensureWorkspace(db, workspace, workspace);
        let added = 0;
        for (const t of SEED_EVENT_TYPES[profile]) {
          if (
            (await upsertEventType(db, { workspace_id: workspace, name: t.name, description: t.description, schema: null }, false)).created
          )
            added++;
        }
        process.stdout.write(
          `${profile}: ${added} event types added to ${workspace} (${SEED_EVENT_TYPES[profile].length - added} already there)\n`,
        );
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'delivery': {
      if (args[0] !== 'show' || !args[1]) throw new ConfigError('usage: hookflow delivery show <dlv_id>');
      return showDelivery(config, args[1], (s) => process.stdout.write(s));
    }
    case 'receiver': {
      let opts;
      try {
        opts = parseReceiverArgs(args);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
      const r = await runReceiver({ ...opts, log: (line) => process.stdout.write(`${line}\n`) });
      process.stdout.write(`receiver listening on ${r.url} (Ctrl-C stops it)\n`);
      const stop = () => void r.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      return;
    }
    default:
      throw new ConfigError(`unknown command "${cmd}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`hookflow: ${err instanceof StartupError ? err.message : (err?.stack ?? err)}\n`);
  process.exit(1);
});
