import type { Db } from '../knex';

export interface IdempotencyKeyRow {
  workspace_id: string;
  route: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: unknown;
  created_at: Date;
}

type KeyRef = { workspaceId: string; route: string; key: string };
const byRef = (db: Db, r: KeyRef) => db('idempotency_keys').where({ workspace_id: r.workspaceId, route: r.route, key: r.key });

/**
 * Claims a key for a request: expired keys of the route are dropped first, then true if this
 * request inserted the key, false if it was there already.
 */
export async function claimIdempotencyKey(db: Db, r: KeyRef & { requestHash: string; keepHours: number }): Promise<boolean> {
  await db('idempotency_keys')
    .where({ workspace_id: r.workspaceId, route: r.route })
    .where('created_at', '<', db.raw('now() - make_interval(hours => ?)', [r.keepHours]))
    .delete();
  const inserted = await db('idempotency_keys')
    .insert({ workspace_id: r.workspaceId, route: r.route, key: r.key, request_hash: r.requestHash })
    .onConflict(['workspace_id', 'route', 'key'])
    .ignore()
    .returning('key');
  return inserted.length > 0;
}

export async function getIdempotencyKey(db: Db, r: KeyRef): Promise<IdempotencyKeyRow | undefined> {
  return byRef(db, r).first();
}

/** Keeps the response that a replay of the key returns. */
export async function storeIdempotentResponse(db: Db, r: KeyRef, status: number, body: unknown): Promise<void> {
  await byRef(db, r).update({ response_status: status, response_body: JSON.stringify(body) });
}

/** Frees the key (the request failed), so it may be retried with the same key. */
export async function releaseIdempotencyKey(db: Db, r: KeyRef): Promise<void> {
  await byRef(db, r).delete();
}
