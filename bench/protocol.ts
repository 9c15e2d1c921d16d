/**
 * The messages between the harness and a bench child process (bench/child.ts) over Node's IPC
 * channel. A request carries an `id` and gets one reply `{id, ok, result | error}`; `send`
 * (the ceiling's hand-off) is fire-and-forget; the child announces itself with `hello` and
 * reports failures outside a request with `error`.
 */
import type { Role } from '../src/runtime';

export type ChildMode = 'ceiling' | 'floor' | 'limit' | 'hookflow';

export interface ReceiverRef {
  url: string;
  secret: string;
}

export type InitMessage =
  | { mode: 'ceiling'; receivers: ReceiverRef[]; retryDelayMs: number; maxAttempts: number }
  | { mode: 'floor' | 'limit'; address: string; namespace: string; taskQueue: string; receivers: ReceiverRef[] }
  | { mode: 'hookflow'; env: Record<string, string>; roles: Role[] };

/** An event to hand to the child: the ceiling sends it itself, the limit starts its workflows. */
export interface EventMessage {
  phase: string;
  seq: number;
  eventId: string;
  createdAt: number;
  type_: string;
  data: unknown;
}

export type SendMessage = EventMessage & { type: 'send' };

export type ChildRequest =
  | { id: number; type: 'init'; init: InitMessage }
  | { id: number; type: 'stats'; gc?: boolean }
  | { id: number; type: 'dbStats'; webhookIds: string[] }
  | ({ id: number; type: 'start' } & EventMessage)
  | { id: number; type: 'workspace'; name: string }
  | { id: number; type: 'stop' };

export type ChildReply =
  { type: 'hello'; pid: number } | { type: 'error'; message: string } | { id: number; ok: boolean; result?: unknown; error?: string };

export interface ChildStats {
  rss: number;
  heapUsed: number;
  cpuMs: number;
}

export interface DbStats {
  byStatus: Record<string, number>;
  attempts: number;
  databaseBytes: number;
  /** Committed + rolled-back transactions of the database so far (autocommit statements count one each). */
  transactions: number;
}

/** What `init` answers in hookflow mode (apiUrl only with the api role). */
export interface HookflowInfo {
  apiUrl: string | null;
  taskQueue: string;
}

/** A workspace of the bench's own with a key for it (`workspace` request, hookflow api role). */
export interface WorkspaceInfo {
  workspaceId: string;
  apiKey: string;
}

/** `start` in limit mode: how many of the event's workflow starts came back eagerly. */
export interface StartResult {
  started: number;
  eager: number;
}
