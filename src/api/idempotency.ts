import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Db } from '../db/knex';
import * as repo from '../db/repositories/idempotency-keys';
import { ws } from './auth';
import { ProblemError } from './errors';

const KEEP_HOURS = 24;

/**
 * Idempotency-Key for a POST route: the first request with a key runs and its response is
 * stored; the same key and body within 24 h get that response again; a different body is a 422;
 * a concurrent duplicate still running is a 409.
 */
export function idempotent(db: Db, route: string): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (key.length < 1 || key.length > 255)
      return next(new ProblemError(400, 'Bad Request', 'Idempotency-Key must be 1 to 255 characters'));
    const ref = { workspaceId: ws(req), route, key };
    const requestHash = createHash('sha256')
      .update(JSON.stringify(req.body ?? null))
      .digest('hex');
    if (!(await repo.claimIdempotencyKey(db, { ...ref, requestHash, keepHours: KEEP_HOURS }))) {
      const stored = (await repo.getIdempotencyKey(db, ref))!;
      if (stored.request_hash !== requestHash)
        return next(new ProblemError(422, 'Unprocessable Entity', 'this Idempotency-Key was already used with a different request body'));
      if (stored.response_status === null)
        return next(new ProblemError(409, 'Conflict', 'a request with this Idempotency-Key is still in progress'));
      res.status(stored.response_status).set('Idempotent-Replayed', 'true').json(stored.response_body);
      return;
    }
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      // Only successful outcomes are kept; a failed request may be retried with the same key.
      const store =
        res.statusCode < 400 ? repo.storeIdempotentResponse(db, ref, res.statusCode, body) : repo.releaseIdempotencyKey(db, ref);
      // Sent once stored, so an immediate retry finds the stored response, not "in progress".
      store.then(
        () => json(body),
        () => json(body),
      );
      return res;
    };
    next();
  };
}
