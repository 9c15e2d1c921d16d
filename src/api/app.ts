import { randomUUID } from 'node:crypto';
import { isTracing, traceRequests } from '../telemetry';
import express, { type Express } from 'express';
import type { Metrics } from '../metrics';
import { authenticate } from './auth';
import type { ApiDeps } from './deps';
import { portalRouter } from '../portal/serve';
import { docsRouter } from './docs';
import { errorHandler, notFoundRoute } from './errors';
import { healthRouter } from './health';
import { router as deliveriesRouter } from './v1/deliveries';
import { router as eventsRouter } from './v1/events';
import { router as webhookActionsRouter } from './v1/webhooks/actions';
import { router as webhooksRouter } from './v1/webhooks/crud';
import { router as notificationsRouter } from './v1/notifications';
import { router as workspaceRouter } from './v1/workspace';
import { router as eventTypesRouter } from './v1/event-types';
import { router as apiKeysRouter } from './v1/api-keys';
import { router as workspacesRouter } from './v1/workspaces';
import { router as portalSessionsRouter } from './v1/portal-sessions';

export interface AppOptions {
  metrics?: Metrics;
  /** Extra readiness checks (e.g. the in-process worker is running). */
  ready?: () => Promise<void>;
}

/** The HTTP API; everything it needs comes in `deps`. */
export function createApp(deps: ApiDeps, opts: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  // An ETag per response costs a hash of every body; the API's answers are not cached.
  app.set('etag', false);
  app.set('trust proxy', false);
  if (isTracing()) app.use(traceRequests());
  app.use((req, res, next) => {
    const id = (req.get('x-request-id') ?? '').slice(0, 100) || randomUUID();
    res.locals.reqId = id;
    res.set('x-request-id', id);
    const started = performance.now();
    const end = opts.metrics?.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      end?.({
        route: (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : 'unmatched',
        status: String(res.statusCode),
      });
      // Successful reads are the bulk of the traffic and say little: debug in development.
      const quiet = deps.config.NODE_ENV === 'development' && req.method === 'GET' && res.statusCode < 300;
      deps.log[quiet ? 'debug' : 'info'](
        { reqId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    next();
  });

  app.use(healthRouter(deps, opts.ready));
  if (opts.metrics) {
    const registry = opts.metrics.registry;
    app.get('/metrics', async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()));
  }

  const v1 = express.Router();
  v1.use(express.json({ limit: deps.config.HOOKFLOW_MAX_PAYLOAD_BYTES + 64 * 1024, type: ['application/json', 'application/*+json'] }));
  v1.use(authenticate(deps.db));
  v1.use(webhooksRouter(deps));
  v1.use(webhookActionsRouter(deps));
  v1.use(notificationsRouter(deps));
  v1.use(workspaceRouter(deps));
  v1.use(eventTypesRouter(deps));
  v1.use(apiKeysRouter(deps));
  v1.use(workspacesRouter(deps));
  v1.use(portalSessionsRouter(deps));
  v1.use(eventsRouter(deps));
  v1.use(deliveriesRouter(deps));
  app.use('/v1', v1);
  app.use(docsRouter());
  app.use(portalRouter({ frameAncestors: deps.config.HOOKFLOW_PORTAL_FRAME_ANCESTORS }));
  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
