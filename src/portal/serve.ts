import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { cachedFile, hashSources } from '../disk-cache';

// The repository root: two levels up under tsx, three from dist/src/portal in a build.
const root = [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')].find((d) =>
  fs.existsSync(path.join(d, 'portal', 'index.html')),
)!;
const portalDir = path.join(root, 'portal');
const sources = [path.join(portalDir, 'src'), path.join(root, 'clients', 'typescript', 'src')];

let bundle: Promise<string> | null = null;

/**
 * The portal's browser code, bundled by esbuild on first use and cached on disk by the hash of
 * its sources (and the generated client's), so `npm start` needs no build step and later starts
 * skip it.
 */
export function portalBundle(): Promise<string> {
  bundle ??= (async () => {
    const esbuild = await import('esbuild');
    const key = hashSources(sources, [esbuild.version]);
    return cachedFile(`portal-${key}.js`, async () => {
      const out = await esbuild.build({
        entryPoints: [path.join(portalDir, 'src', 'main.ts')],
        bundle: true,
        format: 'iife',
        target: 'es2022',
        minify: true,
        write: false,
        logLevel: 'silent',
      });
      return out.outputFiles[0].text;
    });
  })();
  bundle.catch(() => (bundle = null));
  return bundle;
}

/**
 * Strict CSP: scripts, styles and API calls from this origin only; no inline code anywhere, so
 * even markup that slipped into the page could not run. `frameAncestors` lets a SaaS put the
 * portal in an iframe of its own settings page.
 */
function securityHeaders(res: Response, frameAncestors: string): void {
  res.set({
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors ${frameAncestors}`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
}

/** The webhook portal at /portal: a static page, its stylesheet and its bundled script. */
export function portalRouter(opts: { frameAncestors: string }): Router {
  const r = Router();
  const html = fs.readFileSync(path.join(portalDir, 'index.html'), 'utf8');
  const css = fs.readFileSync(path.join(portalDir, 'portal.css'), 'utf8');
  // Express matches /portal and /portal/ alike; the page's relative links need the slash.
  r.get('/portal/', (req, res) => {
    if (!req.path.endsWith('/')) return res.redirect(301, '/portal/');
    securityHeaders(res, opts.frameAncestors);
    res.type('html').send(html);
  });
  r.get('/portal/portal.css', (_req, res) => {
    securityHeaders(res, opts.frameAncestors);
    res.type('css').send(css);
  });
  r.get('/portal/app.js', async (_req, res, next) => {
    try {
      const js = await portalBundle();
      securityHeaders(res, opts.frameAncestors);
      res.type('application/javascript').send(js);
    } catch (err) {
      next(err);
    }
  });
  return r;
}
