import { payload } from '../phase';
import { standardEnvelope } from '../signing';
import { runningOn, startWorkerChild, type SetupMode } from './mode';

/**
 * The simplest Temporal design (bench/naive): one workflow and one regular activity per
 * delivery, started with a plain `workflow.start` from the harness's own connection.
 */
export const setupFloor: SetupMode = async (ctx, cleanup) => {
  const taskQueue = `bench-naive-${ctx.runTag}`;
  const child = await startWorkerChild(ctx, cleanup, 'floor', taskQueue);
  return {
    target: { procs: [child], db: null, taskQueue, runningQuery: runningOn(taskQueue) },
    publish: async (phase, seq) => {
      const eventId = `evt_${phase.id}_${seq}`;
      const body = standardEnvelope(eventId, 'bench.delivery', new Date(), payload(ctx.opts.payloadBytes, phase, seq));
      await Promise.all(
        ctx.refs.map((r, i) =>
          ctx.stack.client.workflow.start('naiveDelivery', {
            taskQueue,
            workflowId: `naive-${eventId}-${i}`,
            args: [r.url, eventId, body],
          }),
        ),
      );
    },
  };
};
