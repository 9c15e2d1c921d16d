// Shared by workflows, the worker and clients: names, inputs, signals, queries, search
// attributes. Imports nothing with side effects, so it is safe in the workflow bundle.
import { defineSearchAttributeKey, SearchAttributeType, type Priority } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Every delivery status, defined once (the API's enums and the database's rows use these). */
/** `terminated`: the run was stopped from outside (`temporal workflow terminate`); recorded by the reconciler. */
/** `skipped`: published while its webhook was disabled; no workflow runs until recover/replay. */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'success', 'failed', 'abandoned', 'cancelled', 'terminated', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** Statuses a delivery does not leave by itself (a manual retry or replay may still rerun it). */
export const FINAL_STATUSES: readonly DeliveryStatus[] = ['success', 'failed', 'abandoned', 'cancelled', 'terminated'];
export const isFinal = (status: DeliveryStatus): boolean => FINAL_STATUSES.includes(status);
export type AttemptTrigger = 'scheduled' | 'manual' | 'test' | 'replay' | 'recover';

/** Input of `deliveryWorkflow`: ids only, never bodies or secrets. */
export interface DeliveryInput {
  deliveryId: string;
  /** Number of the first attempt of this run (replays continue the delivery's numbering). */
  firstAttemptNo?: number;
  trigger?: AttemptTrigger;
}

export interface DeliveryStatusResult {
  status: DeliveryStatus;
  attempts: number;
  lastResponseCode: number | null;
  /** ISO time of the next attempt while waiting, else null. */
  nextAttemptAt: string | null;
}

/** Failure type a delivery's workflow closes with, by final status (the others complete). */
export const CLOSED_AS_FAILED: Partial<Record<DeliveryStatus, 'DeliveryExhausted' | 'DeliveryAbandoned'>> = {
  failed: 'DeliveryExhausted',
  abandoned: 'DeliveryAbandoned',
};

/** Details of a DeliveryExhausted / DeliveryAbandoned failure: the final state and its cause. */
export interface DeliveryFailureDetails extends DeliveryStatusResult {
  /** Error class of the last attempt (timeout, dns, http_status, …), null on a response. */
  errorClass: string | null;
}

export const retryNowSignal = defineSignal('retry-now');
export const cancelSignal = defineSignal('cancel');
export const statusQuery = defineQuery<DeliveryStatusResult>('status');

export const deliveryWorkflowId = (eventId: string, webhookId: string) => `delivery:${eventId}:${webhookId}`;

/** Search attributes of every delivery workflow, so operators can list them by webhook, etc. */
export const SA = {
  WebhookId: defineSearchAttributeKey('WebhookId', SearchAttributeType.KEYWORD),
  EventId: defineSearchAttributeKey('EventId', SearchAttributeType.KEYWORD),
  EventType: defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD),
  WorkspaceId: defineSearchAttributeKey('WorkspaceId', SearchAttributeType.KEYWORD),
  DeliveryStatus: defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD),
};

/** Input of `retentionWorkflow`, set by the retention Schedule. */
export interface RetentionInput {
  retentionDays: number;
}

/** The retention Schedule of a task queue, and the id prefix of the workflows it starts. */
export const retentionScheduleId = (taskQueue: string) => `hookflow-retention:${taskQueue}`;

/**
 * Task-queue priority keys (Temporal: 1 is dispatched first, 5 last, 3 when unset). Someone is
 * waiting on an interactive run (a test send, a manual retry, one delivery's replay); a bulk
 * replay of a time range must not delay new events.
 */
export const PRIORITY = { interactive: 1, normal: 3, bulk: 5 } as const;

export function priorityKeyOf(trigger: AttemptTrigger): number {
  if (trigger === 'test' || trigger === 'manual') return PRIORITY.interactive;
  if (trigger === 'replay') return PRIORITY.bulk;
  return PRIORITY.normal;
}

/**
 * The Temporal priority of a delivery run. Its workspace is the fairness key: Temporal then
 * dispatches the backlogged tasks of the workspaces in turn (in proportion to their weights)
 * instead of first-in first-out, so one workspace's burst cannot starve another's deliveries.
 * Activities inherit it from the workflow.
 */
export function deliveryPriority(trigger: AttemptTrigger, workspaceId: string, fairnessWeight = 1): Priority {
  return { priorityKey: priorityKeyOf(trigger), fairnessKey: workspaceId, fairnessWeight };
}
