import { sleep } from '../context';
import type { DbStats } from '../protocol';
import type { ModeResult } from '../results';
import { HOOKFLOW_EVENT, type HookflowRun } from './run';

/** The database agrees with the receivers: every accepted event's deliveries succeeded, nothing else. */
export async function checkDatabase(run: HookflowRun, mode: ModeResult): Promise<void> {
  const { ctx } = run;
  const hooks = run.checked.flatMap((c) => c.hooks);
  const expected = run.checked.reduce((n, c) => n + (c.api.accepted.get(HOOKFLOW_EVENT) ?? 0), 0) * ctx.opts.webhooks;
  let db: DbStats | null = null;
  // The last success rows may trail the receipts by a few milliseconds.
  for (let i = 0; i < 100; i++) {
    db = await ctx.abort.race(run.apiChild.request<DbStats>('dbStats', { webhookIds: hooks }));
    if ((db.byStatus.success ?? 0) >= expected) break;
    await sleep(100);
  }
  mode.db = db!;
  mode.dbConsistent = (db!.byStatus.success ?? 0) === expected && Object.keys(db!.byStatus).length === 1;
  if (!mode.dbConsistent)
    ctx.errors.push(`hookflow database shows ${JSON.stringify(db!.byStatus)} for the bench webhooks, expected ${expected} success`);
}
