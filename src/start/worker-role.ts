import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { CleanupStack } from '../cleanup';
import type { Config } from '../config';
import { createGuardedAgent } from '../delivery/guarded-dispatcher';
import { createSender } from '../delivery/http-client';
import type { Cidr } from '../delivery/ssrf';
import { attemptRecorder, type Metrics } from '../metrics';
import { dispatchEvent, startReconciler, type DispatchDeps } from '../services/dispatch';
import { ensureRetentionSchedule } from '../temporal/retention';
import type { Dispatcher } from '../services/dispatcher';
import { createWorker } from '../temporal/worker';
import type { Infrastructure } from './infrastructure';

/**
 * The worker role: the SSRF-guarded HTTP agent, the Temporal worker running the delivery
 * workflows and activities, the retention Schedule, and the reconciler that re-dispatches
 * undispatched events.
 */
export async function startWorkerRole(
  config: Config,
  infra: Infrastructure,
  parts: { allow: Cidr[]; metrics: Metrics; dispatch: DispatchDeps; dispatcher: Dispatcher; log: Logger; cleanups: CleanupStack },
): Promise<Worker> {
  const { log, cleanups, dispatch } = parts;
  const agent = createGuardedAgent({ allow: parts.allow, connections: 64, keepAliveTimeout: 30_000, connectTimeout: 10_000 });
  cleanups.push('HTTP agent', () => agent.close());
  const worker = await createWorker({
    connection: infra.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    maxConcurrentActivities: config.HOOKFLOW_WORKER_SLOTS,
    deps: {
      db: infra.db,
      secretBox: infra.secretBox,
      send: createSender(agent),
      dispatchEvent: (eventId) => dispatchEvent(dispatch, eventId),
      onAttemptStart: (deliveryId) => parts.dispatcher.pickedUp(deliveryId),
      onAttempt: attemptRecorder(parts.metrics, log),
    },
  });
  const running = worker.run();
  running.catch((err) => log.error({ err }, 'worker stopped with an error'));
  cleanups.push('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => {});
  });
  await ensureRetentionSchedule(infra.client, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    retentionDays: config.HOOKFLOW_RETENTION_DAYS,
  }).catch((err) => log.warn({ err }, 'could not set up the retention schedule; old rows are not purged'));
  const reconciler = startReconciler({ ...dispatch, dispatcher: parts.dispatcher, afterS: config.HOOKFLOW_RECONCILE_AFTER_S });
  cleanups.push('reconciler', () => reconciler.stop());
  return worker;
}
