import type { Db } from '../knex';

export interface WorkspaceRow {
  id: string;
  name: string;
  notification_url: string | null;
  notification_kinds: string[] | null;
  enforce_event_catalog: boolean;
  created_at: Date;
}

export const DEFAULT_WORKSPACE = 'ws_default';

export async function ensureWorkspace(db: Db, id: string, name: string): Promise<WorkspaceRow> {
  await db('workspaces').insert({ id, name }).onConflict('id').ignore();
  return (await db<WorkspaceRow>('workspaces').where({ id }).first())!;
}

export async function getWorkspace(db: Db, id: string): Promise<WorkspaceRow | undefined> {
  return db<WorkspaceRow>('workspaces').where({ id }).first();
}

export type WorkspacePatch = Partial<Pick<WorkspaceRow, 'name' | 'notification_url' | 'notification_kinds' | 'enforce_event_catalog'>>;

export async function updateWorkspace(db: Db, id: string, patch: WorkspacePatch): Promise<void> {
  if (Object.keys(patch).length) await db('workspaces').where({ id }).update(patch);
}
