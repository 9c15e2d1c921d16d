import type { RequestHandler } from 'express';
import type { Db } from '../db/knex';
import { findApiKey, touchApiKey, type Scope } from '../db/repositories/api-keys';
import { ProblemError } from './errors';

export interface AuthContext {
  workspaceId: string;
  keyId: string;
  scopes: Scope[];
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

const CACHE_MS = 10_000;
const TOUCH_MS = 60_000;

/**
 * Bearer API keys, looked up by sha256 hash. Hits are cached briefly so that publishing does not
 * pay a query per request; a revoked key stops working within CACHE_MS.
 */
const cache = new Map<string, { ctx: AuthContext; at: number }>();

/** Forgets a revoked key at once in this process (other replicas within CACHE_MS). */
export function evictKeyId(keyId: string): void {
  for (const [k, v] of cache) if (v.ctx.keyId === keyId) cache.delete(k);
}

export function authenticate(db: Db): RequestHandler {
  const touched = new Map<string, number>();
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return next(new ProblemError(401, 'Unauthorized', 'missing or malformed Authorization: Bearer <api key>'));
    const key = m[1];
    const now = Date.now();
    let hit = cache.get(key);
    if (!hit || now - hit.at > CACHE_MS) {
      const row = await findApiKey(db, key);
      if (!row) {
        cache.delete(key);
        return next(new ProblemError(401, 'Unauthorized', 'invalid API key'));
      }
      hit = { ctx: { workspaceId: row.workspace_id, keyId: row.id, scopes: row.scopes }, at: now };
      if (cache.size > 10_000) cache.clear();
      cache.set(key, hit);
    }
    req.auth = hit.ctx;
    if (now - (touched.get(hit.ctx.keyId) ?? 0) > TOUCH_MS) {
      touched.set(hit.ctx.keyId, now);
      touchApiKey(db, hit.ctx.keyId).catch(() => {});
    }
    next();
  };
}

export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) =>
    req.auth?.scopes.includes(scope) ? next() : next(new ProblemError(403, 'Forbidden', `this API key lacks the ${scope} scope`));
}

export const ws = (req: { auth?: AuthContext }) => req.auth!.workspaceId;
