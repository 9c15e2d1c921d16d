import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../knex';
import { newId } from '../../domain/ids';

export const SCOPES = [
  'webhooks:read',
  'webhooks:write',
  'events:write',
  'deliveries:read',
  'deliveries:write',
  'workspaces:admin',
] as const;
export type Scope = (typeof SCOPES)[number];
/** What a key gets unless it asks for more: everything within its workspace, no admin. */
export const WORKSPACE_SCOPES: Scope[] = SCOPES.filter((s) => s !== 'workspaces:admin');

export interface ApiKeyRow {
  id: string;
  workspace_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
export const generateKey = () => `hf_${randomBytes(24).toString('base64url')}`;

const newKeyRow = (opts: { workspaceId: string; name: string; scopes?: Scope[]; key: string }) => ({
  id: newId('key'),
  workspace_id: opts.workspaceId,
  name: opts.name,
  prefix: opts.key.slice(0, 10),
  key_hash: hashKey(opts.key),
  scopes: opts.scopes ?? WORKSPACE_SCOPES,
});

/** Stores only the hash; the plain key is returned once. */
export async function createApiKey(
  db: Db,
  opts: { workspaceId: string; name: string; scopes?: Scope[]; key?: string },
): Promise<{ key: string; row: ApiKeyRow }> {
  const key = opts.key ?? generateKey();
  const [row] = await db('api_keys')
    .insert(newKeyRow({ ...opts, key }))
    .returning('*');
  return { key, row };
}

/**
 * Creates the key unless a key with its hash exists (a restart with the same bootstrap key, or
 * another replica starting at the same time); `revoked`: that key was revoked, and stays so.
 */
export async function ensureApiKey(
  db: Db,
  opts: { workspaceId: string; name: string; key: string; scopes?: Scope[] },
): Promise<{ id: string; revoked: boolean }> {
  const [created] = await db('api_keys').insert(newKeyRow(opts)).onConflict('key_hash').ignore().returning('id');
  if (created) return { id: created.id, revoked: false };
  const existing = (await db<ApiKeyRow>('api_keys')
    .where({ key_hash: hashKey(opts.key) })
    .first('id', 'revoked_at'))!;
  return { id: existing.id, revoked: existing.revoked_at !== null };
}

export async function findApiKey(db: Db, key: string): Promise<ApiKeyRow | undefined> {
  return db<ApiKeyRow>('api_keys')
    .where({ key_hash: hashKey(key) })
    .whereNull('revoked_at')
    .first();
}

export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db('api_keys').where({ id }).update({ last_used_at: db.fn.now() });
}

export async function listApiKeys(db: Db, workspaceId: string, limit: number, before?: string): Promise<ApiKeyRow[]> {
  const q = db<ApiKeyRow>('api_keys').where({ workspace_id: workspaceId }).whereNull('revoked_at').orderBy('id', 'desc').limit(limit);
  if (before) q.where('id', '<', before);
  return q;
}

export async function revokeApiKey(db: Db, workspaceId: string, id: string): Promise<boolean> {
  return (await db('api_keys').where({ workspace_id: workspaceId, id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() })) > 0;
}
