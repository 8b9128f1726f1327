import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../errors.js';

/** The built console (`npm run build:web`): dist/src/http/routes → dist/web. */
export const CONSOLE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web');

/** Vite fingerprints every asset name, so a given URL never changes content. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** The page itself is revalidated every time, so a new release is picked up at once. */
const PAGE_CACHE = 'no-cache';
/** Mantine writes its CSS variables into a <style> element: inline styles, never inline scripts. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

function isApiOrDocs(url: string): boolean {
  const p = url.split('?')[0]!;
  return p === '/api' || p.startsWith('/api/') || p === '/docs' || p.startsWith('/docs/');
}

/**
 * Serves the web console at `/`: its files under their own names, and index.html for every other
 * GET outside /api/ and /docs (client-side routes such as /orgs/acme/teams). Registered last, so
 * every API route is matched first.
 */
export async function consoleRoutes(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? CONSOLE_ROOT;
  const indexFile = path.join(root, 'index.html');
  const built = fs.existsSync(indexFile);

  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 || isApiOrDocs(request.url)) return payload;
    const p = request.url.split('?')[0]!;
    if (p.startsWith('/assets/')) {
      reply.header('cache-control', ASSET_CACHE);
      reply.header('vary', 'accept-encoding');
    } else {
      reply.header('cache-control', PAGE_CACHE);
      reply.header('content-security-policy', PAGE_CSP);
      reply.header('referrer-policy', 'same-origin');
    }
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  if (built) {
    // One route per file present at start-up; a rebuilt console needs a restart.
    await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: false, decorateReply: false, cacheControl: false, etag: true, preCompressed: true });
  }

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const p = request.url.split('?')[0]!;
    if (isApiOrDocs(request.url)) return sendError(reply, 404, 'route_not_found', `no route for ${request.method} ${p}`);
    // A missing asset is a missing file, not a page: a stale index.html must not get HTML as JS.
    if (p.startsWith('/assets/') || /\.(?:js|mjs|css|map|ico|png|svg|jpe?g|webp|woff2?|txt|webmanifest)$/i.test(p)) return sendError(reply, 404, 'route_not_found', `no file ${p}`);
    if (!built) return sendError(reply, 404, 'route_not_found', 'the console is not built: run npm run build:web');
    const html = await fs.promises.readFile(indexFile);
    return reply.type('text/html; charset=utf-8').send(html);
  };
  app.get('/', { schema: { hide: true } }, page);
  app.get('/*', { schema: { hide: true } }, page);
}
