import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps, RequestContext } from '../domain/deps.js';
import { DomainError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { authenticate } from '../domain/tokens/authenticate.js';
import type { SessionRecord } from '../domain/records.js';
import { authenticateSession } from '../domain/sessions/authenticate-session.js';
import { requireRecentPassword } from '../domain/sessions/recent-password.js';
import { checkCookieRequest, clearSessionCookie, readSessionCookie } from './session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set when the request was authenticated by the console's session cookie. */
    consoleSession?: ConsoleSession;
  }
}

/** The console session a request was authenticated with. The id is a secret: never log it. */
export interface ConsoleSession {
  id: string;
  record: SessionRecord;
}

/** Where the request came from, for audit events. Long headers are cut so a row stays small. */
export function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { requestId: String(request.id), sourceIp: request.ip, userAgent: ua === undefined ? null : ua.slice(0, 512) };
}

/** Counts Authorization headers as sent: Node keeps only the first of duplicates. */
function authorizationHeaderCount(request: FastifyRequest): number {
  let n = 0;
  const raw = request.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'authorization') n++;
  return n;
}

/**
 * onRequest hook for routes that need a caller: resolves the Authorization header to a principal
 * before the body is read or validated, so an anonymous caller learns nothing about the route.
 * Without an Authorization header, the console's session cookie is accepted instead, under the
 * cross-site and CSRF checks of session-cookie.ts. With one, cookies are ignored entirely: an API
 * client's request never gains or loses anything by a cookie the browser happened to add.
 */
export function requireAuth(deps: Deps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // Never choose one of two credentials silently.
    if (authorizationHeaderCount(request) > 1) throw new DomainError('invalid_request', 'send exactly one Authorization header');
    const header = request.headers.authorization;
    if (header === undefined) {
      const sessionId = readSessionCookie(request);
      if (sessionId !== undefined) {
        await authenticateCookie(deps, request, reply, sessionId);
        return;
      }
    }
    request.principal = await authenticate(deps, requestContext(request), header);
  };
}

/**
 * onRequest hook for the session resource itself: the session cookie or nothing. Sets
 * `request.consoleSession` and `request.principal`, or fails with session_invalid.
 */
export function requireSession(deps: Deps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const sessionId = readSessionCookie(request);
    if (sessionId === undefined) throw new DomainError('session_invalid', 'the session is missing or has ended; sign in again');
    await authenticateCookie(deps, request, reply, sessionId);
  };
}

async function authenticateCookie(deps: Deps, request: FastifyRequest, reply: FastifyReply, sessionId: string): Promise<void> {
  // Cross-site and CSRF checks first: a forged request is refused without touching the session.
  checkCookieRequest(request, sessionId);
  try {
    const { user, session } = await authenticateSession(deps, sessionId);
    request.principal = { kind: 'user', user, token: null };
    request.consoleSession = { id: sessionId, record: session };
  } catch (err) {
    // The browser holds a dead cookie: tell it to drop it.
    if (err instanceof DomainError && err.code === 'session_invalid') clearSessionCookie(request, reply);
    throw err;
  }
}

/**
 * For the sensitive routes of catalog W08: a request through a console session whose password was
 * last proven too long ago is refused with reauthentication_required (the console then asks for
 * the password and retries). Requests authenticated by a token are not affected.
 */
export function requireReauthentication(deps: Deps, request: FastifyRequest): void {
  if (request.consoleSession) requireRecentPassword(deps, request.consoleSession.record);
}

/** The authenticated caller; routes that call this registered requireAuth. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('token_missing', 'the access token is missing or invalid');
  return request.principal;
}
