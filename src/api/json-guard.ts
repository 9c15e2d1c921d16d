import { ProblemError } from './errors';

/**
 * Deepest nesting accepted in a request. JSON.stringify recurses, so a few thousand levels
 * throw a RangeError; no webhook payload needs more than this.
 */
export const MAX_JSON_DEPTH = 64;

// A UTF-16 surrogate without its pair: PostgreSQL rejects it in jsonb ("\ud800") and text.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain an unpaired UTF-16 surrogate';
  return null;
}

/** The first value PostgreSQL could not store, or nesting past MAX_JSON_DEPTH; null when fine. */
export function findUnstorable(value: unknown, path: string[] = [], depth = 0): { path: string[]; message: string } | null {
  if (typeof value === 'string') {
    const message = stringProblem(value);
    return message ? { path, message } : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  for (const [k, v] of Object.entries(value)) {
    const keyMessage = stringProblem(k);
    if (keyMessage) return { path: [...path, k], message: `key ${keyMessage}` };
    const found = findUnstorable(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}

/** Throws the problem (422 in a body, 400 elsewhere) for a value findUnstorable refuses. */
export function checkStorable(value: unknown, where: 'body' | 'query' | 'params'): void {
  const found = findUnstorable(value);
  if (!found) return;
  const path = [where, ...found.path].join('.');
  const [status, title] = where === 'body' ? [422, 'Unprocessable Entity'] : [400, 'Bad Request'];
  throw new ProblemError(status, title, `invalid ${where}: ${path}: ${found.message}`, { errors: [{ path, message: found.message }] });
}
