import { randomBytes } from 'node:crypto';
import type { Db } from '../knex';
import { newId } from '../../domain/ids';
import { hashKey } from './api-keys';

export interface PortalSessionRow {
  id: string;
  workspace_id: string;
  token_hash: string;
  read_only: boolean;
  expires_at: Date;
  created_by_key_id: string | null;
  created_at: Date;
}

export const PORTAL_TOKEN_PREFIX = 'hfp_';

/** Stores only the token's hash; the token is returned once, inside the portal URL. */
export async function createPortalSession(
  db: Db,
  opts: { workspaceId: string; readOnly: boolean; expiresAt: Date; createdByKeyId: string | null },
): Promise<{ token: string; row: PortalSessionRow }> {
  const token = `${PORTAL_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  const [row] = await db('portal_sessions')
    .insert({
      id: newId('ps'),
      workspace_id: opts.workspaceId,
      token_hash: hashKey(token),
      read_only: opts.readOnly,
      expires_at: opts.expiresAt,
      created_by_key_id: opts.createdByKeyId,
    })
    .returning('*');
  return { token, row };
}

/** The session of a token, expired or not (the caller tells the two apart). */
export async function findPortalSession(db: Db, token: string): Promise<PortalSessionRow | undefined> {
  return db<PortalSessionRow>('portal_sessions as s')
    .join('workspaces as w', 'w.id', 's.workspace_id')
    .whereNull('w.deleted_at')
    .where('s.token_hash', hashKey(token))
    .first('s.*');
}
