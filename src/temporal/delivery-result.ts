import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CLOSED_AS_FAILED, type DeliveryFailureDetails, type DeliveryStatusResult } from '../../workflows/definitions';

const FAILURE_TYPES = new Set<string>(Object.values(CLOSED_AS_FAILED));

/** The final state carried by a delivery workflow's DeliveryExhausted / DeliveryAbandoned failure, else null. */
export function deliveryFailureDetails(err: unknown): DeliveryFailureDetails | null {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !FAILURE_TYPES.has(cause.type)) return null;
  return (cause.details?.[0] as DeliveryFailureDetails | undefined) ?? null;
}

/**
 * A delivery's final state: what the workflow returned (success, cancelled by signal) or, for a
 * delivery that closed as Failed, the state in its failure's details. Other failures (a
 * cancelled or terminated run, a vanished delivery row) are thrown.
 */
export async function deliveryResult(handle: WorkflowHandle): Promise<DeliveryStatusResult> {
  try {
    return (await handle.result()) as DeliveryStatusResult;
  } catch (err) {
    const details = deliveryFailureDetails(err);
    if (details) return details;
    throw err;
  }
}
