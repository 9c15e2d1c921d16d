import { isGrpcServiceError } from '@temporalio/client';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from 'pino';

/** An error that becomes an RFC 9457 problem+json response. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const notFound = (what: string, id: string) => new ProblemError(404, 'Not Found', `${what} ${id} does not exist`);
export const invalid = (detail: string, errors: { path: string; message: string }[] = []) =>
  new ProblemError(422, 'Unprocessable Entity', detail, errors.length ? { errors } : {});

export function zodProblem(err: ZodError, where: 'body' | 'query' | 'params' | 'headers'): ProblemError {
  const errors = err.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  return new ProblemError(
    where === 'body' ? 422 : 400,
    where === 'body' ? 'Unprocessable Entity' : 'Bad Request',
    `invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    { errors },
  );
}

/** Seconds a client should wait before retrying while a dependency is down. */
export const RETRY_AFTER_S = 5;

// Errors that mean PostgreSQL is unreachable or refusing connections, not that the query is bad.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const PG_UNAVAILABLE = /^(08|57P0[1-3]$|53300$)/; // connection exceptions, shutdown, too many connections
const CONNECTION_LOST = /^(Connection terminated|timeout exceeded when trying to connect|Knex: Timeout acquiring a connection)/;
const DATABASE = 'the database (PostgreSQL)';
// gRPC UNAVAILABLE and DEADLINE_EXCEEDED from Temporal.
const GRPC_UNAVAILABLE = new Set([14, 4]);

/** Which dependency an error says is down (named for the problem's detail), or null. */
export function unavailableDependency(err: unknown): string | null {
  for (
    let e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (isGrpcServiceError(e)) return GRPC_UNAVAILABLE.has(e.code) ? 'Temporal' : null;
    if (e.name === 'KnexTimeoutError' || (typeof e.message === 'string' && CONNECTION_LOST.test(e.message))) return DATABASE;
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE.test(e.code))) return DATABASE;
  }
  return null;
}

/** A data exception (SQLSTATE class 22) from PostgreSQL: a value in the request it cannot take. */
const isDataException = (err: unknown) =>
  typeof (err as { code?: unknown })?.code === 'string' && /^22[0-9A-Z]{3}$/.test((err as { code: string }).code);

export const notFoundRoute: RequestHandler = (req, _res, next) =>
  next(new ProblemError(404, 'Not Found', `no route for ${req.method} ${req.path}`));

/** One error handler: typed errors to problem+json; anything else is a logged 500 without details. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: ProblemError;
    let down: string | null;
    if (err instanceof ProblemError) problem = err;
    else if (err instanceof ZodError) problem = zodProblem(err, 'body');
    else if (err?.type === 'entity.parse.failed') problem = new ProblemError(400, 'Bad Request', 'request body is not valid JSON');
    else if (err?.type === 'entity.too.large')
      problem = new ProblemError(413, 'Payload Too Large', `request body exceeds ${err.limit} bytes`);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported')
      problem = new ProblemError(415, 'Unsupported Media Type', err.message);
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
      problem = new ProblemError(err.status, 'Bad Request', err.expose ? err.message : undefined);
    else if ((down = unavailableDependency(err))) {
      log.warn({ reqId: res.locals.reqId, path: req.path, cause: (err as Error).message }, 'dependency unavailable');
      res.set('retry-after', String(RETRY_AFTER_S));
      problem = new ProblemError(503, 'Service Unavailable', `${down} is unavailable; retry in ${RETRY_AFTER_S} s`);
    } else if (isDataException(err)) {
      // Validation should have caught it; the value is the client's all the same, so not a 500.
      log.warn({ err, reqId: res.locals.reqId, path: req.path }, 'PostgreSQL refused a value from the request');
      problem = new ProblemError(422, 'Unprocessable Entity', 'the request contains a value that cannot be stored');
    } else {
      log.error({ err, reqId: res.locals.reqId, path: req.path }, 'unhandled error');
      problem = new ProblemError(500, 'Internal Server Error', 'an unexpected error occurred; it has been logged');
    }
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        instance: req.originalUrl,
        ...problem.extra,
      });
  };
}
