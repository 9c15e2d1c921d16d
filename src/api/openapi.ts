import { z } from 'zod';
import type { RouteSpec } from './route';
import { version } from '../../package.json';

const registry = new Map<string, RouteSpec>();

/** Adds a route to /openapi.json; an operationId names one operation only. */
export function register(spec: RouteSpec): void {
  const key = `${spec.method} ${spec.path}`;
  for (const [other, s] of registry) {
    if (other !== key && s.operationId === spec.operationId)
      throw new Error(`operationId ${spec.operationId} of ${key} is already used by ${other}`);
  }
  registry.set(key, spec);
}

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

const ERROR_STATUSES: Record<number, string> = {
  400: 'Malformed request (JSON, query, params or headers)',
  401: 'Missing or invalid API key',
  403: 'The API key lacks the required scope, or Hookflow-Workspace names a workspace it may not act on',
  404: 'Unknown id or route',
  409: 'Conflict with the current state (limits, duplicates, finished deliveries)',
  413: 'Payload too large',
  415: 'Unsupported body encoding or charset',
  422: 'Invalid body; `errors` lists the zod issue paths',
  500: 'Unexpected error (logged, no details)',
  503: 'PostgreSQL or Temporal is unavailable; retry after Retry-After seconds',
};

const schema = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** Every route acts on the workspace this header names (admin keys; others only their own). */
const WORKSPACE_PARAM = {
  name: 'Hookflow-Workspace',
  description: 'act on this workspace (ws_… id or uid): any with an admin key, else only the caller’s own (403)',
};

function parameters(spec: RouteSpec) {
  const out: Record<string, unknown>[] = [];
  for (const [where, s] of [
    ['path', spec.params],
    ['query', spec.query],
  ] as const) {
    if (!s) continue;
    const js = schema(s, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, sch] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: sch });
    }
  }
  for (const h of [...(spec.headers ?? []), WORKSPACE_PARAM])
    out.push({ name: h.name, in: 'header', required: false, description: h.description, schema: { type: 'string', maxLength: 255 } });
  return out;
}

/** OpenAPI 3.1 built from the same zod schemas that validate requests and shape responses. */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of [...registry.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    const p = `/v1${spec.path.replace(/:(\w+)/g, '{$1}')}`;
    const responses: Record<string, unknown> = {};
    for (const [status, s] of Object.entries(spec.responses)) {
      responses[status] = s
        ? { description: 'OK', content: { 'application/json': { schema: schema(s, 'output') } } }
        : { description: 'No content' };
    }
    for (const [status, description] of Object.entries(ERROR_STATUSES)) {
      responses[status] ??= { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    paths[p] ??= {};
    paths[p][spec.method] = {
      operationId: spec.operationId,
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.scope ? { description: `Requires scope \`${spec.scope}\`.` } : {}),
      parameters: parameters(spec),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(spec.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Hookflow API', version, description: 'Webhook delivery on Temporal. Errors are application/problem+json.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key (hf_…)' } },
      schemas: { Problem: schema(Problem, 'output') },
    },
    paths,
  };
}
