import type { BenchContext } from '../context';
import type { RpcChild } from '../processes';
import type { Target } from '../probes';
import type { HookflowApi } from './api';

/** The event type of every measured Hookflow delivery (the drain query filters on it). */
export const HOOKFLOW_EVENT = 'bench.delivery';

/** What the Hookflow-only phases share. */
export interface HookflowRun {
  ctx: BenchContext;
  target: Target;
  /** The process with the API role (it also creates workspaces). */
  apiChild: RpcChild;
  apiUrl: string;
  taskQueue: string;
  /** The bench workspace's client; its `bench.delivery` webhooks are the main receivers. */
  api: HookflowApi;
  mainHooks: string[];
  /** Deliveries/s of the mode's closed loop: the run's sustained rate, which a burst's acceptance is compared with. */
  sustainedPerSec: number | null;
  /** Webhooks subscribed to `bench.delivery` with the client that published to them: the database check. */
  checked: { api: HookflowApi; hooks: string[] }[];
  /** A new workspace with its own key and client (closed with the mode). */
  workspace(name: string): Promise<HookflowApi>;
}
