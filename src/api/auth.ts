import type { RequestHandler } from 'express';
import type { Db } from '../db/knex';
import { findApiKey, touchApiKey, type Scope } from '../db/repositories/api-keys';
import { findPortalSession, PORTAL_TOKEN_PREFIX } from '../db/repositories/portal-sessions';
import { findWorkspace } from '../db/repositories/workspaces';
import { ProblemError } from './errors';

export interface AuthContext {
  /** The workspace this request acts on: the caller's own, or the one `Hookflow-Workspace` names. */
  workspaceId: string;
  /** The workspace the key or portal session belongs to. */
  homeWorkspaceId: string;
  /** API key id, or portal session id. */
  keyId: string;
  scopes: Scope[];
  /** Set for portal session tokens, which may call only the portal's operations. */
  portal?: { readOnly: boolean; expiresAt: Date };
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

export const WORKSPACE_HEADER = 'Hookflow-Workspace';
export const ADMIN_SCOPE: Scope = 'workspaces:admin';
const PORTAL_READ: Scope[] = ['webhooks:read', 'deliveries:read'];
const PORTAL_MANAGE: Scope[] = [...PORTAL_READ, 'webhooks:write', 'deliveries:write'];

const CACHE_MS = 10_000;
const TOUCH_MS = 60_000;

/**
 * Bearer API keys and portal tokens, looked up by sha256 hash. Hits are cached briefly so that
 * publishing does not pay a query per request; a revoked key stops working within CACHE_MS, an
 * expired portal session at once (its expiry is checked on every request).
 */
const cache = new Map<string, { ctx: AuthContext; at: number }>();
/** `Hookflow-Workspace` values (id or uid) to workspace ids, briefly, for the same reason. */
const workspaces = new Map<string, { id: string | null; at: number }>();

/** Forgets a revoked key at once in this process (other replicas within CACHE_MS). */
export function evictKeyId(keyId: string): void {
  for (const [k, v] of cache) if (v.ctx.keyId === keyId) cache.delete(k);
}

/** Forgets a deleted workspace's names at once in this process. */
export function evictWorkspace(id: string): void {
  for (const [k, v] of workspaces) if (v.id === id) workspaces.delete(k);
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size > 10_000) map.clear();
  map.set(key, value);
}

async function lookUp(db: Db, token: string): Promise<AuthContext | null> {
  if (token.startsWith(PORTAL_TOKEN_PREFIX)) {
    const s = await findPortalSession(db, token);
    if (!s) return null;
    const scopes = s.read_only ? PORTAL_READ : PORTAL_MANAGE;
    return {
      workspaceId: s.workspace_id,
      homeWorkspaceId: s.workspace_id,
      keyId: s.id,
      scopes,
      portal: { readOnly: s.read_only, expiresAt: s.expires_at },
    };
  }
  const row = await findApiKey(db, token);
  return row ? { workspaceId: row.workspace_id, homeWorkspaceId: row.workspace_id, keyId: row.id, scopes: row.scopes } : null;
}

async function resolveWorkspace(db: Db, name: string, now: number): Promise<string | null> {
  let hit = workspaces.get(name);
  if (!hit || now - hit.at > CACHE_MS) {
    hit = { id: (await findWorkspace(db, name))?.id ?? null, at: now };
    remember(workspaces, name, hit);
  }
  return hit.id;
}

/**
 * Who is asking and for which workspace. `Hookflow-Workspace: <ws_id or uid>` lets an admin key
 * act on any workspace (as Stripe's `Stripe-Account`); any other key or portal session may only
 * name its own (403 otherwise, without telling whether the other workspace exists).
 */
export function authenticate(db: Db): RequestHandler {
  const touched = new Map<string, number>();
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return next(new ProblemError(401, 'Unauthorized', 'missing or malformed Authorization: Bearer <api key>'));
    const token = m[1];
    const now = Date.now();
    let hit = cache.get(token);
    if (!hit || now - hit.at > CACHE_MS) {
      const ctx = await lookUp(db, token);
      if (!ctx) {
        cache.delete(token);
        return next(
          new ProblemError(401, 'Unauthorized', token.startsWith(PORTAL_TOKEN_PREFIX) ? 'invalid portal session' : 'invalid API key'),
        );
      }
      hit = { ctx, at: now };
      remember(cache, token, hit);
    }
    const ctx = hit.ctx;
    if (ctx.portal && ctx.portal.expiresAt.getTime() <= now) {
      return next(new ProblemError(401, 'Unauthorized', 'this portal session has expired; open the portal again from your account'));
    }
    let workspaceId = ctx.homeWorkspaceId;
    const named = req.get(WORKSPACE_HEADER)?.trim();
    if (named && named !== ctx.homeWorkspaceId) {
      const admin = ctx.scopes.includes(ADMIN_SCOPE);
      const id = await resolveWorkspace(db, named, now);
      if (!admin && id !== ctx.homeWorkspaceId) {
        return next(
          new ProblemError(
            403,
            'Forbidden',
            `this ${ctx.portal ? 'portal session' : 'API key'} can only act on its own workspace; ${WORKSPACE_HEADER} names another`,
          ),
        );
      }
      if (!id) return next(new ProblemError(404, 'Not Found', `workspace ${named} does not exist`));
      workspaceId = id;
    }
    req.auth = { ...ctx, workspaceId };
    if (!ctx.portal && now - (touched.get(ctx.keyId) ?? 0) > TOUCH_MS) {
      touched.set(ctx.keyId, now);
      touchApiKey(db, ctx.keyId).catch(() => {});
    }
    next();
  };
}

export function requireScope(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    if (req.auth?.scopes.includes(scope)) return next();
    const who = req.auth?.portal ? (req.auth.portal.readOnly ? 'this read-only portal session' : 'this portal session') : 'this API key';
    next(new ProblemError(403, 'Forbidden', `${who} lacks the ${scope} scope`));
  };
}

export const ws = (req: { auth?: AuthContext }) => req.auth!.workspaceId;

/**
 * What the portal calls (through the generated client); a portal session token can do nothing
 * else: no API keys, no publishing, no workspace settings, no other portal sessions.
 */
export const PORTAL_OPERATIONS: ReadonlySet<string> = new Set([
  'getWorkspaceSettings',
  'listEventTypes',
  'listNotifications',
  'listWebhooks',
  'createWebhook',
  'getWebhook',
  'updateWebhook',
  'deleteWebhook',
  'sendWebhookTest',
  'enableWebhook',
  'disableWebhook',
  'getWebhookSecret',
  'rotateWebhookSecret',
  'replayWebhookDeliveries',
  'recoverWebhookDeliveries',
  'listWebhookDeliveries',
  'listDeliveries',
  'getDelivery',
  'retryDelivery',
  'cancelDelivery',
]);

export function portalGuard(operationId: string): RequestHandler {
  return (req, _res, next) =>
    req.auth?.portal && !PORTAL_OPERATIONS.has(operationId)
      ? next(new ProblemError(403, 'Forbidden', `a portal session cannot call ${operationId}`))
      : next();
}
