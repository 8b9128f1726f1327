import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { completeSetup, type SetupInput } from '../../domain/users/complete-setup.js';
import { setupNeeded } from '../../domain/users/setup-needed.js';
import { requestContext } from '../context.js';
import { errorResponses, NewPassword } from '../schemas.js';
import { refuseCrossOrigin, setKnownBrowserCookie, setSessionCookie } from '../session-cookie.js';
import { sessionBody } from './session.js';

const tags = ['session'];

/** First run: while no user exists, anyone who reaches the server may create the first site administrator. */
export function registerSetupRoutes(app: FastifyInstance, deps: Deps): void {
  app.get(
    '/api/setup',
    {
      schema: {
        tags,
        summary: 'Whether first-run setup is still needed (no user exists yet)',
        security: [],
        response: { 200: Type.Object({ needed: Type.Boolean() }, { title: 'SetupStatus' }) },
      },
    },
    async () => ({ needed: await setupNeeded(deps) }),
  );

  app.post(
    '/api/setup',
    {
      onRequest: async (request) => refuseCrossOrigin(request),
      schema: {
        tags,
        summary: 'Create the first user, a site administrator, and sign them in (once)',
        security: [],
        body: Type.Object(
          {
            login: Type.String({ minLength: 1, maxLength: 39 }),
            email: Type.String({ minLength: 3, maxLength: 320 }),
            name: Type.Optional(Type.String({ maxLength: 100 })),
            password: NewPassword,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('Session'), ...errorResponses(400, 403, 409, 421, 503) },
      },
    },
    async (request, reply) => {
      const result = await completeSetup(deps, requestContext(request), request.body as SetupInput);
      setSessionCookie(request, reply, result.sessionId);
      setKnownBrowserCookie(request, reply, result.knownBrowser);
      return sessionBody(deps, result.user, result.sessionId, result.session.expiresAt);
    },
  );
}
