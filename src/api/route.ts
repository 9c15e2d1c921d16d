import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { Scope } from '../db/repositories/api-keys';
import { portalGuard, requireScope, ws, type AuthContext } from './auth';
import type { ApiDeps } from './deps';
import { zodProblem } from './errors';
import { idempotent } from './idempotency';
import { checkStorable } from './json-guard';
import { register } from './openapi';

/** The request parts a route may declare a schema for. */
export interface Parts {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a route that declares no schema
type NoParts = {};
type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** What a handler receives: the parsed parts (zod transforms applied) and who is asking. */
export interface Input<S extends Parts = NoParts> {
  params: Parsed<S['params']>;
  query: Parsed<S['query']>;
  body: Parsed<S['body']>;
  auth: AuthContext;
  workspaceId: string;
  /** For request headers a route documents in `headers`. */
  req: Request;
}

export type Handler<S extends Parts = NoParts> = (deps: ApiDeps, input: Input<S>, res: Response) => Promise<void>;

/** One documented route: drives validation, the scope check, the handler's types and OpenAPI. */
export interface RouteSpec extends Parts {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express path below /v1, e.g. `/webhooks/:id`. */
  path: string;
  /** Stable camelCase verbNoun name (the typed client's method name). */
  operationId: string;
  summary: string;
  tag: string;
  scope?: Scope;
  /** Extra request headers (besides Authorization). */
  headers?: { name: string; description: string }[];
  /** Idempotency-Key handled for the route: the same key and body replay the stored response. */
  idempotent?: boolean;
  /** Success responses by status; null for an empty body. */
  responses: Record<number, z.ZodType | null>;
}

export const IDEMPOTENCY_HEADER = { name: 'Idempotency-Key', description: 'same key + same body within 24 h returns the stored response' };

function parsePart(schema: z.ZodType | undefined, value: unknown, where: 'params' | 'query' | 'body'): unknown {
  checkStorable(value, where);
  if (!schema) return {};
  const result = schema.safeParse(value);
  if (!result.success) throw zodProblem(result.error, where);
  return result.data;
}

/**
 * Registers a route once: what a portal session may call, the scope check, then params, query and body are checked for values
 * PostgreSQL cannot store and parsed with their schemas, then the handler runs on the parsed
 * values. The spec also goes into /openapi.json.
 */
export function route<S extends RouteSpec>(r: Router, deps: ApiDeps, spec: S, handler: Handler<S>): void {
  register(spec.idempotent ? { ...spec, headers: [...(spec.headers ?? []), IDEMPOTENCY_HEADER] } : spec);
  const before = [
    portalGuard(spec.operationId),
    ...(spec.scope ? [requireScope(spec.scope)] : []),
    (req: Request, res: Response, next: (err?: unknown) => void) => {
      res.locals.input = {
        params: parsePart(spec.params, req.params, 'params'),
        query: parsePart(spec.query, req.query, 'query'),
        body: parsePart(spec.body, req.body ?? {}, 'body'),
      };
      next();
    },
    ...(spec.idempotent ? [idempotent(deps.db, `${spec.method.toUpperCase()} /v1${spec.path}`)] : []),
  ];
  r[spec.method](spec.path, ...before, (req: Request, res: Response) =>
    handler(
      deps,
      { ...(res.locals.input as Pick<Input<S>, 'params' | 'query' | 'body'>), auth: req.auth!, workspaceId: ws(req), req },
      res,
    ),
  );
}
