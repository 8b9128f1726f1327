import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Where users and clients reach this server (TESSERA_PUBLIC_URL), and whether it listens on loopback. */
export interface PublicSite {
  /** Serialized origins (`https://tessera.example.com`), the first canonical. */
  origins: readonly string[];
  /** Listening on loopback only: the loopback names are acceptable hosts too. */
  loopback: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    publicSite: PublicSite;
  }
}

/** The names a browser on this machine may use for a server listening on loopback. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Origins of the given URLs (lowercase, default ports dropped). Validated by config.ts. */
export function publicSite(urls: readonly string[], loopback: boolean): PublicSite {
  return { origins: urls.map((u) => new URL(u).origin), loopback };
}

/** The host name of a `Host` value (`name[:port]`, `[v6][:port]`), lowercase; undefined when malformed. */
function parseHost(value: string): URL | undefined {
  if (value === '' || /[/?#@\\\s]/.test(value)) return undefined;
  try {
    return new URL(`http://${value}`);
  } catch {
    return undefined;
  }
}

/**
 * Whether a request's `Host` is one this server answers console, sign-in and setup requests for
 * (API.md section 1, catalog X07). A browser that a rebinding DNS name pointed at this server
 * still sends the attacker's name as `Host`, so only our own names pass. Behind a trusted proxy
 * Fastify takes the host from X-Forwarded-Host; from anyone else that header is ignored.
 */
export function hostAllowed(site: PublicSite, request: FastifyRequest): boolean {
  const presented = parseHost(request.host);
  if (presented === undefined) return false;
  if (site.loopback && LOOPBACK_NAMES.has(presented.hostname)) return true;
  // Host and port exactly, a missing port being the public URL's scheme's default. The port is
  // read from the header itself: URL parsing would drop `:80` whatever the public URL's scheme.
  const port = /:(\d+)$/.exec(request.host)?.[1];
  return site.origins.some((origin) => {
    const own = new URL(origin);
    const ownPort = own.port || defaultPort(own);
    return own.hostname === presented.hostname && Number(port ?? defaultPort(own)) === Number(ownPort);
  });
}

function defaultPort(url: URL): string {
  return url.protocol === 'https:' ? '443' : '80';
}

/**
 * Whether `origin` (already serialized) is this server's own: one of the public URLs' origins, or,
 * listening on loopback and addressed by a loopback name, the origin of that very name and port
 * (over http or, behind a TLS-terminating proxy on this machine, https). Never built from a Host
 * that is not ours.
 */
export function originAllowed(site: PublicSite, request: FastifyRequest, origin: string): boolean {
  if (site.origins.includes(origin)) return true;
  if (!site.loopback) return false;
  const presented = parseHost(request.host);
  if (presented === undefined || !LOOPBACK_NAMES.has(presented.hostname)) return false;
  const own = [`${request.protocol}://${presented.host}`, `https://${presented.host}`].map((o) => new URL(o).origin);
  return own.includes(origin);
}

/** Routes that are sign-in or setup whatever the credentials. */
const SIGN_IN_ROUTES = new Set(['/api/session', '/api/setup']);
/** The console's HTML page (every other path under / is the same page). */
const CONSOLE_ROUTES = new Set(['/', '/*']);

/**
 * Whether the Host rule applies: console, sign-in and setup requests, and any request the session
 * cookie would authenticate (no Authorization header). Token-authenticated API calls are not
 * Host-checked: DNS rebinding gives a web page no token, and API clients may use any name.
 */
export function hostChecked(request: FastifyRequest, hasSessionCookie: boolean): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined && SIGN_IN_ROUTES.has(route)) return true;
  if (route !== undefined && CONSOLE_ROUTES.has(route) && !request.url.startsWith('/api/')) return true;
  return request.headers.authorization === undefined && hasSessionCookie;
}

/** Registers the site on the app, for the Host hook and the Origin check. */
export function decoratePublicSite(app: FastifyInstance, site: PublicSite): void {
  app.decorate('publicSite', site);
}
