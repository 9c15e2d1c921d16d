import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const cache = new Map<string, ValidateFunction>();

/**
 * Compiles (and caches) a user-supplied JSON Schema for event data; throws if invalid. Each
 * schema gets an Ajv instance of its own: one shared instance registers every `$id`, so two
 * workspaces using the same `$id` would make the second compile throw.
 */
export function compileDataSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = cache.get(key);
  if (!fn) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    fn = ajv.compile(schema);
    if (cache.size > 1000) cache.clear();
    cache.set(key, fn);
  }
  return fn;
}

/** Validation errors of `data` against `schema` as {path, message} pairs (empty when valid). */
export function validateData(schema: Record<string, unknown>, data: unknown): { path: string; message: string }[] {
  const fn = compileDataSchema(schema);
  if (fn(data)) return [];
  return (fn.errors ?? []).map((e) => ({ path: `body.data${e.instancePath.replace(/\//g, '.')}`, message: e.message ?? 'invalid' }));
}
