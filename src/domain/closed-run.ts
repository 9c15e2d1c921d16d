import type { DeliveryStatus } from '../../workflows/definitions';

/** How a delivery's run closed, as Temporal tells it (status name and its close event). */
export interface ClosedRun {
  status: string;
  /** `temporal workflow terminate --reason`. */
  reason?: string | null;
  /** Who terminated it (the CLI's or SDK's identity). */
  identity?: string | null;
  /** The failure message of a run that closed as Failed. */
  failure?: string | null;
}

/**
 * What to record for a delivery whose run closed while its row was not final: the workflow
 * records every outcome itself, so this only happens when the run was stopped from outside
 * (terminate, native cancel the workflow did not handle, a run timeout) or crashed. null: the
 * run closed normally (or continued as new) and there is nothing to repair.
 */
export function closedRunOutcome(run: ClosedRun): { status: DeliveryStatus; lastError: string } | null {
  switch (run.status) {
    case 'TERMINATED':
      return {
        status: 'terminated',
        lastError: `workflow terminated${run.identity ? ` by ${run.identity}` : ''}: ${run.reason || 'no reason given'}`,
      };
    case 'TIMED_OUT':
      return { status: 'terminated', lastError: 'workflow timed out' };
    case 'CANCELLED':
      return { status: 'cancelled', lastError: 'workflow cancelled' };
    case 'FAILED':
      return { status: 'failed', lastError: `workflow failed: ${run.failure || 'no message'}` };
    default:
      return null;
  }
}
