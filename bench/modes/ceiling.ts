import { forkChild } from '../processes';
import type { InitMessage } from '../protocol';
import { eventMessage, type SetupMode } from './mode';

/** Signed POSTs straight from Node to the receivers: no database, no Temporal. */
export const setupCeiling: SetupMode = async (ctx, cleanup) => {
  const child = await forkChild(ctx.abort, 'ceiling', ctx.opts.cpuProfDir);
  cleanup.push('ceiling process', () => child.stop(!!ctx.abort.error));
  const init: InitMessage = { mode: 'ceiling', receivers: ctx.refs, retryDelayMs: 1000, maxAttempts: 10 };
  await ctx.abort.race(child.request('init', { init }));
  return {
    target: { procs: [child], db: null, taskQueue: null, runningQuery: null },
    publish: async (phase, seq) => child.post({ type: 'send', ...eventMessage(ctx, phase, seq) }),
  };
};
