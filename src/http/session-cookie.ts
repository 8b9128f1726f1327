import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { csrfTokenMatches } from '../domain/sessions/session-id.js';
import { originAllowed } from './public-url.js';

/** The cookie over plain http (development on loopback). */
export const SESSION_COOKIE = 'tessera_session';
/**
 * The cookie over https. The `__Host-` prefix makes browsers accept it only with Secure, Path=/
 * and no Domain, so a sibling subdomain cannot plant or overwrite it (W01).
 */
export const SECURE_SESSION_COOKIE = '__Host-tessera_session';
/** The header the console sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Whether the request reached this server over TLS. Fastify answers from the socket; behind a
 * TLS-terminating proxy this is `http` unless Fastify is told to trust the proxy.
 */
export function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/**
 * The Set-Cookie value for a session id. HttpOnly keeps it from page script; SameSite=Lax keeps
 * browsers from sending it with cross-site subrequests and form posts; no Max-Age, so it ends
 * with the browser session, while the server enforces the idle and absolute timeouts itself.
 */
export function sessionCookie(sessionId: string, secure: boolean): string {
  return `${sessionCookieName(secure)}=${sessionId}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** A Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName(secure)}=; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, sessionId: string): void {
  reply.header('set-cookie', sessionCookie(sessionId, isHttps(request)));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', clearedSessionCookie(isHttps(request)));
}

/** The known-browser cookie (X08) over plain http and over https (`__Host-`, as for the session). */
export const KNOWN_BROWSER_COOKIE = 'tessera_known';
export const SECURE_KNOWN_BROWSER_COOKIE = '__Host-tessera_known';
/** A year: a browser someone signs in from now and then stays known between sign-ins. */
const KNOWN_BROWSER_MAX_AGE = 365 * 86400;

/**
 * Sets the known-browser cookie after a sign-in: long-lived (unlike the session cookie), HttpOnly,
 * SameSite=Lax. It grants nothing by itself; it only exempts this browser from the per-account
 * sign-in limit of the accounts it marks (see known-browser.ts).
 */
export function setKnownBrowserCookie(request: FastifyRequest, reply: FastifyReply, value: string): void {
  const secure = isHttps(request);
  reply.header('set-cookie', `${secure ? SECURE_KNOWN_BROWSER_COOKIE : KNOWN_BROWSER_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${KNOWN_BROWSER_MAX_AGE}${secure ? '; Secure' : ''}`);
}

/** The known-browser cookie the request carries (the name for its scheme), or undefined. */
export function readKnownBrowserCookie(request: FastifyRequest): string | undefined {
  return readCookie(request, isHttps(request) ? SECURE_KNOWN_BROWSER_COOKIE : KNOWN_BROWSER_COOKIE) || undefined;
}

/**
 * The session id the request carries: only the cookie name for the request's scheme counts (over
 * https an unprefixed cookie may have been planted by a subdomain). Undefined when there is none.
 * Two cookies of that name are ambiguous, so neither is used: `''`, which no session matches.
 */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  return readCookie(request, sessionCookieName(isHttps(request)));
}

/** A cookie by name; `''` when it appears twice (ambiguous), undefined when absent. */
function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return '';
    found = part.slice(eq + 1).trim();
  }
  return found;
}

/** `value` as a serialized origin (lowercase, default port dropped), or undefined when it is not one. */
function normalizedOrigin(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Why a cookie-bearing request must be treated as coming from another site, or undefined when it
 * need not be. Browsers say where a request came from in `Sec-Fetch-Site` (only `same-origin`, or
 * `none` for a navigation the user started, is ours) and, for most non-GET requests, in `Origin`,
 * which must then be this server's own origin. Clients that send neither are not browsers acting
 * for another site.
 */
export function crossOriginReason(request: FastifyRequest): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const presented = normalizedOrigin(origin);
    // Compared with TESSERA_PUBLIC_URL's origins, never with one built from the request's Host,
    // which a rebinding DNS name controls (X07).
    if (presented === undefined || !originAllowed(request.server.publicSite, request, presented)) return 'Origin is another site';
  }
  return undefined;
}

/**
 * Refuses a request from another site. Used for cookie-authenticated requests, and for sign-in
 * and setup, so another site cannot sign a visitor in to an account of its choosing.
 */
export function refuseCrossOrigin(request: FastifyRequest): void {
  const reason = crossOriginReason(request);
  if (reason !== undefined) throw new DomainError('csrf_failed', `cross-site request refused (${reason}); the console works only from this server's own pages`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The cross-site request forgery checks for a request authenticated by the session cookie (W04):
 * a request from another site is refused whatever its method (so a session cannot serve as an API
 * credential from another origin), and a state-changing request must also carry the session's
 * CSRF token in X-CSRF-Token, which another site cannot read. Refused before the body is read.
 */
export function checkCookieRequest(request: FastifyRequest, sessionId: string): void {
  refuseCrossOrigin(request);
  if (SAFE_METHODS.has(request.method)) return;
  const presented = request.headers[CSRF_HEADER];
  if (typeof presented !== 'string' || !csrfTokenMatches(sessionId, presented)) {
    throw new DomainError('csrf_failed', 'the X-CSRF-Token header is missing or does not match the session');
  }
}
