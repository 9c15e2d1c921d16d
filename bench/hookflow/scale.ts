import { closedLoop, newPhase } from '../phase';
import { measure } from '../measure';
import type { PhaseResult } from '../results';
import { HOOKFLOW_EVENT, type HookflowRun } from './run';

/** The scale curve: closed-loop runs of growing size; cost per delivery should stay flat. */
export async function runScale(run: HookflowRun): Promise<PhaseResult[]> {
  const { ctx } = run;
  const out: PhaseResult[] = [];
  for (const size of ctx.opts.scale) {
    const events = Math.ceil(size / ctx.opts.webhooks);
    const p = newPhase(ctx, 'hookflow', `scale${size}`, events);
    out.push(
      await measure(
        ctx,
        run.target,
        `hookflow scale ${events * ctx.opts.webhooks}`,
        p,
        closedLoop(ctx, p, run.api.publisher(HOOKFLOW_EVENT, ctx.opts.webhooks)),
      ),
    );
  }
  return out;
}
