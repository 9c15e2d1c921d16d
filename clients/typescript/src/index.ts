import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema';

export type { paths, operations } from './schema';

export interface HookflowClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where Hookflow's API listens, e.g. http://127.0.0.1:3000 (no /v1). */
  baseUrl: string;
  /** An API key (`hf_…`) or a portal session token (`hfp_…`); omit to set it in middleware. */
  apiKey?: string;
  /** Act on this workspace (its `ws_…` id or your own `uid`): admin keys only, as `Hookflow-Workspace`. */
  workspace?: string;
}

export type HookflowClient = Client<paths>;

/**
 * A thin typed layer over fetch: `client.POST('/v1/events', { body })` returns `{ data, error,
 * response }` with the request and both outcomes typed from the OpenAPI document.
 */
export function createHookflowClient(opts: HookflowClientOptions): HookflowClient {
  const { apiKey, workspace, headers, ...rest } = opts;
  return createClient<paths>({
    ...rest,
    headers: {
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      ...(workspace ? { 'hookflow-workspace': workspace } : {}),
      ...(headers as Record<string, string> | undefined),
    },
  });
}

/** Body of a JSON response of an operation, e.g. `ResponseOf<'/v1/webhooks/{id}', 'get'>`. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? { [S in keyof R]: S extends 200 | 201 | 202 ? (R[S] extends { content: { 'application/json': infer B } } ? B : never) : never }[keyof R]
  : never;

/** JSON body of an operation's request. */
export type RequestOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** An RFC 9457 problem, as every error response carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}
