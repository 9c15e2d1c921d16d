import { payload } from '../phase';
import { forkChild } from '../processes';
import type { InitMessage } from '../protocol';
import { standardEnvelope } from '../signing';
import type { SetupMode } from './mode';

/**
 * The simplest Temporal design (bench/naive): one workflow and one regular activity per
 * delivery, started with a plain `workflow.start` from the harness's own connection.
 */
export const setupFloor: SetupMode = async (ctx, cleanup) => {
  const taskQueue = `bench-naive-${ctx.runTag}`;
  const child = await forkChild(ctx.abort, 'floor', ctx.opts.cpuProfDir);
  cleanup.push('floor process', () => child.stop(!!ctx.abort.error));
  const init: InitMessage = { mode: 'floor', address: ctx.stack.temporalAddress, namespace: 'default', taskQueue, receivers: ctx.refs };
  await ctx.abort.race(child.request('init', { init }, 180_000));
  return {
    target: { procs: [child], db: null, taskQueue, runningQuery: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` },
    publish: async (phase, seq) => {
      const eventId = `evt_${phase.id}_${seq}`;
      const body = standardEnvelope(eventId, 'bench.delivery', new Date(), payload(ctx.opts.payloadBytes, phase, seq));
      await Promise.all(
        ctx.refs.map((r, i) => ctx.stack.client.workflow.start('naiveDelivery', { taskQueue, workflowId: `naive-${eventId}-${i}`, args: [r.url, eventId, body] })),
      );
    },
  };
};
