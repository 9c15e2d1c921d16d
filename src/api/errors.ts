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
  return new ProblemError(where === 'body' ? 422 : 400, where === 'body' ? 'Unprocessable Entity' : 'Bad Request', `invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}

export const notFoundRoute: RequestHandler = (req, _res, next) => next(new ProblemError(404, 'Not Found', `no route for ${req.method} ${req.path}`));

/** One error handler: typed errors to problem+json; anything else is a logged 500 without details. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: ProblemError;
    if (err instanceof ProblemError) problem = err;
    else if (err instanceof ZodError) problem = zodProblem(err, 'body');
    else if (err?.type === 'entity.parse.failed') problem = new ProblemError(400, 'Bad Request', 'request body is not valid JSON');
    else if (err?.type === 'entity.too.large') problem = new ProblemError(413, 'Payload Too Large', `request body exceeds ${err.limit} bytes`);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') problem = new ProblemError(415, 'Unsupported Media Type', err.message);
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) problem = new ProblemError(err.status, 'Bad Request', err.expose ? err.message : undefined);
    else {
      log.error({ err, reqId: res.locals.reqId, path: req.path }, 'unhandled error');
      problem = new ProblemError(500, 'Internal Server Error', 'an unexpected error occurred; it has been logged');
    }
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({ type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, instance: req.originalUrl, ...problem.extra });
  };
}
