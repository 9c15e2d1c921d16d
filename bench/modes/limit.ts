import type { StartResult } from '../protocol';
import { eventMessage, runningOn, startWorkerChild, type SetupMode } from './mode';

/**
 * Hookflow's design at its cheapest (bench/naive's limitDelivery): each delivery a workflow
 * started eagerly by a client on the worker's own connection, its attempt a local activity in
 * that first workflow task; no database, no API. The starts happen in the child, since eager
 * start needs the worker's connection; the publish call is the IPC round trip plus the M starts.
 */
export const setupLimit: SetupMode = async (ctx, cleanup) => {
  const taskQueue = `bench-limit-${ctx.runTag}`;
  const child = await startWorkerChild(ctx, cleanup, 'limit', taskQueue);
  const starts = { eager: 0, total: 0 };
  return {
    target: { procs: [child], db: null, taskQueue, runningQuery: runningOn(taskQueue) },
    publish: async (phase, seq) => {
      const r = await child.request<StartResult>('start', { ...eventMessage(ctx, phase, seq) });
      starts.eager += r.eager;
      starts.total += r.started;
    },
    finish: (mode) => {
      mode.eagerStarts = { ...starts };
    },
  };
};
