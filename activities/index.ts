import type { AttemptDeps } from '../src/delivery/attempt';
import { createDeliveryActivities } from './delivery';
import { createRetentionActivities } from './retention';

export type ActivityDeps = AttemptDeps;

/** All activities of the Hookflow worker, built from their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDeliveryActivities(deps),
    ...createRetentionActivities(deps),
  };
}
