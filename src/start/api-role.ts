import type { Worker } from '@temporalio/worker';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { createApp } from '../api/app';
import type { ApiDeps } from '../api/deps';
import type { CleanupStack } from '../cleanup';
import { StartupError, type Config } from '../config';
import type { Db } from '../db/knex';
import { ensureApiKey, generateKey, SCOPES } from '../db/repositories/api-keys';
import { DEFAULT_WORKSPACE, ensureWorkspace } from '../db/repositories/workspaces';

/**
 * The bootstrap key: HOOKFLOW_BOOTSTRAP_API_KEY, else one generated once into the data dir.
 * A key that was revoked since stays revoked (start-up goes on without it).
 */
async function bootstrapKey(db: Db, config: Config, embedded: boolean, log: Logger): Promise<string | null> {
  await ensureWorkspace(db, DEFAULT_WORKSPACE, 'Default workspace');
  let key = config.HOOKFLOW_BOOTSTRAP_API_KEY ?? null;
  if (!key && embedded) {
    const file = path.join(config.dataDir, 'api-key');
    if (!fs.existsSync(file)) fs.writeFileSync(file, generateKey(), { mode: 0o600 });
    key = fs.readFileSync(file, 'utf8').trim();
  }
  if (!key) return null;
  // The bootstrap key administers tenants (workspaces:admin).
  const found = await ensureApiKey(db, { workspaceId: DEFAULT_WORKSPACE, name: 'bootstrap', key, scopes: [...SCOPES] });
  if (found.revoked) {
    log.warn(
      { keyId: found.id },
      'the bootstrap API key was revoked; it stays revoked (set HOOKFLOW_BOOTSTRAP_API_KEY to a new key, or unset it)',
    );
    return null;
  }
  return key;
}

/** Listens, or fails with a message saying which port is taken (Express 5's listen() would not). */
function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new StartupError(`port ${port} on ${host} is already in use; set PORT`));
      else if (err.code === 'EACCES') reject(new StartupError(`no permission to listen on port ${port} on ${host}; set PORT`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The API role: the bootstrap key, then the HTTP server. Returns its URL and the key. */
export async function startApiRole(
  deps: ApiDeps,
  parts: { embedded: boolean; worker: Worker | null; cleanups: CleanupStack },
): Promise<{ apiUrl: string; apiKey: string | null }> {
  const { config, db, log, metrics } = deps;
  const apiKey = await bootstrapKey(db, config, parts.embedded, log);
  const { worker } = parts;
  const app = createApp(deps, {
    metrics,
    ready: async () => {
      if (worker && worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
    },
  });
  const headersTimeout = Math.min(config.HOOKFLOW_HEADERS_TIMEOUT_MS, config.HOOKFLOW_REQUEST_TIMEOUT_MS);
  const server = http.createServer(
    {
      requestTimeout: config.HOOKFLOW_REQUEST_TIMEOUT_MS,
      headersTimeout,
      // Node checks both timeouts on this interval (30 s by default, which would double them).
      connectionsCheckingInterval: Math.min(5_000, Math.max(100, headersTimeout / 2)),
    },
    app,
  );
  server.keepAliveTimeout = 5000;
  await listen(server, config.PORT, config.HOST);
  parts.cleanups.push(
    'API server',
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  );
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
  return { apiUrl: `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`, apiKey };
}
