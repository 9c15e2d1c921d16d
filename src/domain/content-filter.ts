/**
 * Content filters: a webhook may ask for only the events whose `data` matches a small JSON
 * language (the subset of Convoy's body filters and MongoDB queries that covers the common
 * cases). A filter is an object of conditions that must all hold:
 *
 *   { "status": "done", "project.id": { "$in": [1, 2] }, "amount": { "$gt": 100, "$lt": 1000 },
 *     "assignee": { "$exists": true } }
 *
 * - a key is a path into `data`, segments separated by dots (`project.id`); a numeric segment
 *   indexes an array (`items.0.sku`);
 * - a plain value (string, number, boolean, null, array or object) must equal the field exactly;
 * - an operator object: `$eq`, `$in` (equals one of the list), `$exists` (true/false),
 *   `$gt`, `$gte`, `$lt`, `$lte` (numbers only; a field that is not a number does not match).
 *   Several operators in one object must all hold.
 */
export type ContentFilter = Record<string, unknown>;

export interface FilterIssue {
  /** Path inside the filter, e.g. `amount.$gt`. */
  path: string;
  message: string;
}

const COMPARISONS = ['$gt', '$gte', '$lt', '$lte'] as const;
const OPERATORS = new Set<string>(['$eq', '$in', '$exists', ...COMPARISONS]);
export const FILTER_LIMITS = { conditions: 20, inValues: 100, depth: 10, bytes: 4096 };
const SEGMENT = /^[^.$][^.]*$/;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOperatorObject = (v: unknown): v is Record<string, unknown> =>
  isPlainObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

/** Every problem of a filter, with a message a user can act on; empty when it is valid. */
export function validateFilter(filter: unknown): FilterIssue[] {
  if (!isPlainObject(filter)) return [{ path: '', message: 'a filter is an object of conditions, e.g. {"status": "done"}' }];
  const issues: FilterIssue[] = [];
  const keys = Object.keys(filter);
  if (keys.length === 0)
    issues.push({ path: '', message: 'a filter needs at least one condition (omit it, or send null, to receive every event)' });
  if (keys.length > FILTER_LIMITS.conditions) issues.push({ path: '', message: `at most ${FILTER_LIMITS.conditions} conditions` });
  if (JSON.stringify(filter).length > FILTER_LIMITS.bytes)
    issues.push({ path: '', message: `at most ${FILTER_LIMITS.bytes} bytes of JSON` });
  for (const key of keys) {
    const segments = key.split('.');
    if (key.startsWith('$')) {
      issues.push({
        path: key,
        message: `${key} is not supported at the top level; conditions are "path": value or "path": {"$op": value}`,
      });
      continue;
    }
    if (!segments.every((s) => SEGMENT.test(s)))
      issues.push({ path: key, message: 'a path is dot-separated field names (e.g. project.id); empty segments and $ are not allowed' });
    if (segments.length > FILTER_LIMITS.depth) issues.push({ path: key, message: `a path has at most ${FILTER_LIMITS.depth} segments` });
    const cond = filter[key];
    if (!isPlainObject(cond) || !Object.keys(cond).some((k) => k.startsWith('$'))) continue; // a literal
    for (const [op, operand] of Object.entries(cond).filter(([k]) => k.startsWith('$'))) {
      const at = `${key}.${op}`;
      if (!OPERATORS.has(op)) {
        issues.push({ path: at, message: `unknown operator ${op}; supported: ${[...OPERATORS].join(', ')}` });
      } else if (op === '$in' && (!Array.isArray(operand) || operand.length === 0 || operand.length > FILTER_LIMITS.inValues)) {
        issues.push({ path: at, message: `$in takes a list of 1 to ${FILTER_LIMITS.inValues} values` });
      } else if (op === '$exists' && typeof operand !== 'boolean') {
        issues.push({ path: at, message: '$exists takes true or false' });
      } else if ((COMPARISONS as readonly string[]).includes(op) && (typeof operand !== 'number' || !Number.isFinite(operand))) {
        issues.push({ path: at, message: `${op} compares numbers only; got ${JSON.stringify(operand)}` });
      }
    }
    if (!isOperatorObject(cond))
      issues.push({ path: key, message: 'mixes operators ($…) and plain fields; use {"$eq": {...}} to match an object exactly' });
  }
  return issues;
}

const MISSING = Symbol('missing');

function lookup(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = Number(seg) < cur.length ? cur[Number(seg)] : MISSING;
    else if (isPlainObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else return MISSING;
  }
  return cur;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function holds(value: unknown, op: string, operand: unknown): boolean {
  switch (op) {
    case '$exists':
      return (value !== MISSING) === operand;
    case '$eq':
      return value !== MISSING && deepEqual(value, operand);
    case '$in':
      return value !== MISSING && (operand as unknown[]).some((o) => deepEqual(value, o));
    default: {
      if (typeof value !== 'number') return false;
      const n = operand as number;
      return op === '$gt' ? value > n : op === '$gte' ? value >= n : op === '$lt' ? value < n : value <= n;
    }
  }
}

/** Whether an event's `data` passes a (valid) filter; no filter passes everything. */
export function matchesFilter(filter: ContentFilter | null | undefined, data: unknown): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([path, cond]) => {
    const value = lookup(data, path);
    if (isOperatorObject(cond)) return Object.entries(cond).every(([op, operand]) => holds(value, op, operand));
    return holds(value, '$eq', cond);
  });
}
