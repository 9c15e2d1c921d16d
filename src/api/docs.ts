import express, { Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { buildOpenApi } from './openapi';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Hookflow API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;

/** /openapi.json and /docs (Swagger UI served from the npm package: no CDN). */
export function docsRouter(): Router {
  const r = Router();
  let spec: Record<string, unknown> | null = null;
  r.get('/openapi.json', (_req, res) => {
    spec ??= buildOpenApi();
    res.json(spec);
  });
  r.get('/docs', (_req, res) => void res.type('html').send(PAGE));
  r.get('/docs/init.js', (_req, res) => void res.type('application/javascript').send(INIT));
  r.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1h' }));
  return r;
}
