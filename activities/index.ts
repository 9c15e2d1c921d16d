import type { AttemptDeps } from '../src/delivery/attempt';
import { createDeliveryActivities } from './delivery';

export type ActivityDeps = AttemptDeps;

/** All activities of the Hookflow worker, built from their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDeliveryActivities(deps),
  };
}
