import { Client, Connection } from '@temporalio/client';
import path from 'node:path';
import { ConfigError, type Config } from './config';
import { createDb } from './db/knex';
import * as deliveries from './db/repositories/deliveries';
import { latestRunId } from './services/operations';
import { resolveTemporalCli } from './temporal/binaries';
import { DEFAULT_TEMPORAL_UI_URL, temporalCommands, workflowUiUrl } from './temporal/links';

/** The CLI as a user would type it: relative to the working directory when it is below it. */
function cliForDisplay(config: Config): string {
  let cli: string;
  try {
    cli = resolveTemporalCli(config.TEMPORAL_CLI);
  } catch {
    return 'temporal';
  }
  const rel = path.relative(process.cwd(), cli);
  return rel.startsWith('..') || path.isAbsolute(rel) ? cli : rel;
}

/** The run's status from Temporal, when TEMPORAL_ADDRESS is set and answers within a second. */
async function temporalView(config: Config, workflowId: string): Promise<{ runId: string | null; status: string | null }> {
  if (!config.TEMPORAL_ADDRESS) return { runId: null, status: null };
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 2000 }).catch(() => null);
  if (!connection) return { runId: null, status: null };
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const runId = await latestRunId(client, workflowId);
    const status = runId ? (await client.workflow.getHandle(workflowId, runId).describe()).status.name : null;
    return { runId, status };
  } catch {
    return { runId: null, status: null };
  } finally {
    await connection.close();
  }
}

/**
 * `hookflow delivery show <dlv_id>`: the delivery as the database has it, its attempts, its
 * workflow's state, and the `temporal` commands and Web UI link that act on it.
 */
export async function showDelivery(config: Config, id: string, write: (s: string) => void): Promise<void> {
  if (!config.DATABASE_URL)
    throw new ConfigError('hookflow delivery show needs DATABASE_URL (and TEMPORAL_ADDRESS for the workflow state)');
  const db = createDb(config.DATABASE_URL);
  try {
    const d = await deliveries.getDeliveryById(db, id);
    if (!d) throw new ConfigError(`no delivery ${id}`);
    const attempts = await deliveries.listAttempts(db, id);
    const run = await temporalView(config, d.workflow_id);
    const address = config.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
    const lines = [
      `delivery   ${d.id} (${d.status}${d.is_test ? ', test' : ''})`,
      `event      ${d.event_id} (${d.event_type})`,
      `webhook    ${d.webhook_id}`,
      `attempts   ${d.attempts}${d.next_attempt_at ? `, next at ${d.next_attempt_at.toISOString()}` : ''}`,
      d.last_error ? `last error ${d.last_error}` : null,
      `workflow   ${d.workflow_id}${run.runId ? ` run ${run.runId} (${run.status})` : config.TEMPORAL_ADDRESS ? ' (Temporal did not answer)' : ' (set TEMPORAL_ADDRESS for its state)'}`,
      `web UI     ${workflowUiUrl(config.HOOKFLOW_TEMPORAL_UI_URL ?? DEFAULT_TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, d.workflow_id, run.runId)}`,
      '',
      'attempt  started                   trigger    code  error         ms',
      ...attempts.map((a) =>
        [
          String(a.attempt_no).padEnd(8),
          a.started_at.toISOString().padEnd(25),
          a.trigger.padEnd(10),
          String(a.response_code ?? '-').padEnd(5),
          (a.error_class ?? '-').padEnd(13),
          String(a.duration_ms),
        ].join(' '),
      ),
      attempts.length ? null : '(none yet)',
      '',
      ...temporalCommands(cliForDisplay(config), { address, namespace: config.TEMPORAL_NAMESPACE, workflowId: d.workflow_id }).flatMap(
        (c) => [`# ${c.what}`, c.command],
      ),
    ];
    write(lines.filter((l) => l !== null).join('\n') + '\n');
  } finally {
    await db.destroy();
  }
}
