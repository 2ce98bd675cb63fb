/**
 * The web dashboard (docs/dashboard.md): the built single-page app from `dist/web` at `/`, and
 * `GET /api/v1/ui-config`, what the page needs to know about this server at run time (nothing secret).
 *
 * Static files are served here rather than with @fastify/static (whose dependency warns on Node 20): a
 * GET resolves inside the assets directory only — a path that would leave it is a 404 — and hashed
 * files under `/assets/` are cached for a year (their name changes with their content) while
 * `index.html` is revalidated on every load, so a new build shows up at once. Any other path without a
 * file extension is a client route of the app and gets `index.html`; `/api/…` and `/metrics` never do,
 * so an unknown API route stays a JSON 404.
 *
 * The page's Content-Security-Policy (DASHBOARD_CSP) replaces the API's `default-src 'none'` on what
 * this serves: scripts, styles and connections from this origin and nothing else, nothing inline.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { tideVersion } from '../version/version.ts';
import { notFoundError } from './error-handler.ts';
import { routeConfig } from './route-config.ts';
import { uiConfigResponse } from './api-responses.ts';

/** Where `npm run build` puts the dashboard (scripts/build.mjs); the same path from src/ and dist/. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export interface DashboardOptions {
  /** The built app; absent = DEFAULT_DASHBOARD_DIR. */
  readonly assetsDir?: string;
  /** TIDE_PUBLIC_URL, told to the page (links it shows); null when not set. */
  readonly publicUrl: string | null;
  readonly oidcEnabled: boolean;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Set on the page and its assets only, replacing the API's (security-headers.ts) in the handler rather
 * than through the route's `helmet` option: the fallback route also answers unknown API paths, whose
 * 404s keep the API's `default-src 'none'`. 'self' in connect-src covers ws:/wss: to this host (CSP
 * level 3): the live event stream at /api/v1/events.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join(';');

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tide: dashboard not built</title></head>
<body><h1>The Tide dashboard is not built</h1>
<p>Run <code>npm run build</code> (<code>npm ci</code> does it), then reload. The API under
<code>/api/v1</code> works without it.</p></body></html>
`;

/** Paths the app's fallback never answers: they belong to the API. */
function isServerPath(urlPath: string): boolean {
  return (
    urlPath === '/api' ||
    urlPath.startsWith('/api/') ||
    urlPath === '/metrics' ||
    urlPath.startsWith('/metrics/')
  );
}

/**
 * The file a URL path names inside `root`, or null when it cannot name one there: undecodable, a NUL,
 * or a `..` that would climb out. `/` is the index.
 */
export function resolveAsset(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = path.resolve(root);
  const file = path.resolve(base, `.${path.posix.normalize(`/${decoded}`)}`);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  return file === base ? path.join(base, 'index.html') : file;
}

async function regularFile(file: string): Promise<number | null> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const root = options.assetsDir ?? DEFAULT_DASHBOARD_DIR;

  app.get(
    '/api/v1/ui-config',
    {
      config: routeConfig({
        permission: 'public',
        summary: 'What the dashboard needs from the server at run time: version, public URL, SSO on or off',
        schemas: { response: { status: 200, schema: uiConfigResponse } },
      }),
    },
    async (_request, reply) => {
      void reply.header('cache-control', REVALIDATE);
      return { version: tideVersion, public_url: options.publicUrl, oidc_enabled: options.oidcEnabled };
    },
  );

  async function send(reply: FastifyReply, file: string, size: number, cache: string) {
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    return reply
      .header('content-type', type)
      .header('content-length', size)
      .header('cache-control', cache)
      .header('content-security-policy', DASHBOARD_CSP)
      .send(createReadStream(file));
  }

  app.get(
    '/*',
    { config: routeConfig({ permission: 'public', summary: 'The dashboard (docs/dashboard.md)' }) },
    async (request: FastifyRequest, reply) => {
      const urlPath = request.url.split('?')[0] ?? '/';
      // Fastify's own 404: the answer, and its metrics label ("unmatched"), are those of an unknown route.
      if (isServerPath(urlPath)) return reply.callNotFound();
      const file = resolveAsset(root, urlPath);
      if (file === null) throw notFoundError(request);
      const size = await regularFile(file);
      if (size !== null)
        return send(reply, file, size, urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
      // A missing file (a name with an extension) is a 404; anything else is one of the app's routes.
      if (path.extname(urlPath) !== '') throw notFoundError(request);
      const index = path.join(root, 'index.html');
      const indexSize = await regularFile(index);
      if (indexSize === null) {
        request.log.warn({ dir: root }, 'the dashboard is not built: run `npm run build`');
        return reply
          .code(503)
          .header('content-type', 'text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(NOT_BUILT_PAGE);
      }
      return send(reply, index, indexSize, REVALIDATE);
    },
  );
};
