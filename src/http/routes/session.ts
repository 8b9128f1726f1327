import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { DomainError } from '../../domain/errors.js';
import type { User } from '../../domain/records.js';
import { authenticateSession } from '../../domain/sessions/authenticate-session.js';
import { login } from '../../domain/sessions/login.js';
import { logout } from '../../domain/sessions/logout.js';
import { reauthenticate } from '../../domain/sessions/reauthenticate.js';
import { REAUTHENTICATION_WINDOW_MS } from '../../domain/sessions/recent-password.js';
import { csrfTokenFor } from '../../domain/sessions/session-id.js';
import { describeCaller } from '../../domain/users/describe-caller.js';
import { requestContext, requireAuth, requireSession } from '../context.js';
import { errorResponses, Password } from '../schemas.js';
import { checkCookieRequest, clearSessionCookie, readKnownBrowserCookie, readSessionCookie, refuseCrossOrigin, setKnownBrowserCookie, setSessionCookie } from '../session-cookie.js';
import { userBody } from './user.js';

const tags = ['session'];

/** The reply to sign-in, setup and `GET /api/session`. */
export async function sessionBody(deps: Deps, user: User, sessionId: string, expiresAtMs: number) {
  return {
    user: userBody(await describeCaller(deps, { kind: 'user', user, token: null })),
    csrfToken: csrfTokenFor(sessionId),
    expiresAt: Math.floor(expiresAtMs / 1000),
  };
}

/** Console sign-in, the current session, and sign-out (API.md section 8). */
export function registerSessionRoutes(app: FastifyInstance, deps: Deps): void {
  app.post(
    '/api/session',
    {
      // Another site must not sign a visitor in to an account of its choosing (login CSRF).
      onRequest: async (request) => refuseCrossOrigin(request),
      schema: {
        tags,
        summary: 'Sign in with login and password; sets the session cookie',
        security: [],
        body: Type.Object({ login: Type.String({ minLength: 1, maxLength: 100 }), password: Password }, { additionalProperties: false }),
        response: { 200: Type.Ref('Session'), ...errorResponses(400, 401, 403, 421, 429, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body as { login: string; password: string };
      const presented = readSessionCookie(request);
      const known = readKnownBrowserCookie(request);
      const result = await login(deps, requestContext(request), {
        login: body.login,
        password: body.password,
        ...(presented === undefined ? {} : { presentedSessionId: presented }),
        ...(known === undefined ? {} : { knownBrowser: known }),
      });
      setSessionCookie(request, reply, result.sessionId);
      setKnownBrowserCookie(request, reply, result.knownBrowser);
      return sessionBody(deps, result.user, result.sessionId, result.session.expiresAt);
    },
  );

  app.get(
    '/api/session',
    {
      onRequest: requireSession(deps),
      schema: { tags, summary: 'The current console session', security: [{ session: [] }], response: { 200: Type.Ref('Session'), ...errorResponses(401, 403) } },
    },
    async (request) => {
      const { id, record } = request.consoleSession!;
      const principal = request.principal!;
      if (principal.kind !== 'user') throw new DomainError('session_invalid', 'the session is missing or has ended; sign in again');
      return sessionBody(deps, principal.user, id, record.expiresAt);
    },
  );

  app.post(
    '/api/session/reauthenticate',
    {
      // The session cookie only, under its cross-site and CSRF checks. A token needs no re-proof:
      // a valid one is told so (403), an invalid one gets the usual 401.
      onRequest: async (request, reply) => {
        if (request.headers.authorization === undefined) return requireSession(deps)(request, reply);
        await requireAuth(deps)(request, reply);
        throw new DomainError('forbidden', 're-authentication is for console sessions; requests made with a token never need it');
      },
      schema: {
        tags,
        summary: 'Prove the password again in this session, for actions that need a recent proof',
        description: `Organization token creation, OIDC issuer and auth policy changes through a session whose password was proven ${REAUTHENTICATION_WINDOW_MS / 60_000} minutes ago or more answer 403 \`reauthentication_required\`; after this call they are allowed for ${REAUTHENTICATION_WINDOW_MS / 60_000} minutes. A wrong password (403 \`password_incorrect\`) counts against the sign-in throttle.`,
        security: [{ session: [] }],
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 421, 429, 503) },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      if (principal.kind !== 'user') throw new DomainError('session_invalid', 'the session is missing or has ended; sign in again');
      await reauthenticate(deps, requestContext(request), principal.user, request.consoleSession!.record, (request.body as { password: string }).password);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/session',
    {
      schema: {
        tags,
        summary: 'Sign out: ends the session server-side and clears the cookie',
        security: [{ session: [] }],
        response: { 204: Type.Null(), ...errorResponses(403) },
      },
    },
    async (request, reply) => {
      const sessionId = readSessionCookie(request);
      if (sessionId !== undefined) {
        // Signing out is a state change too: another site may not sign the visitor out.
        checkCookieRequest(request, sessionId);
        try {
          const { user, session } = await authenticateSession(deps, sessionId);
          await logout(deps, requestContext(request), user, session);
        } catch (err) {
          // Already ended: signing out again succeeds.
          if (!(err instanceof DomainError && err.code === 'session_invalid')) throw err;
        }
      }
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );
}
