import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import type { User } from '../../domain/records.js';
import { changePassword } from '../../domain/users/change-password.js';
import { createUser, type CreateUserInput } from '../../domain/users/create-user.js';
import { listUsers } from '../../domain/users/list-users.js';
import { resetPassword } from '../../domain/users/reset-password.js';
import { setUserDisabled } from '../../domain/users/set-user-disabled.js';
import { principalOf, requestContext, requireAuth } from '../context.js';
import { errorResponses, NewPassword, Password } from '../schemas.js';
import { readKnownBrowserCookie, setSessionCookie } from '../session-cookie.js';

const tags = ['users'];
const LoginParams = Type.Object({ login: Type.String({ minLength: 1, maxLength: 100 }) });

/** The wire form of a local account, as site administrators see it. */
export function accountBody(u: User) {
  return { id: u.id, login: u.login, email: u.email, name: u.name, siteAdmin: u.siteAdmin, disabled: u.disabledAt !== null, created: new Date(u.createdAt).toISOString() };
}

/** Local accounts: everyone's own password, and user management for site administrators. */
export function registerUsersRoutes(app: FastifyInstance, deps: Deps): void {
  const auth = requireAuth(deps);

  app.put(
    '/api/user/password',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "Change the caller's password; ends their other sessions and renews the current one's cookie",
        body: Type.Object({ currentPassword: Password, newPassword: NewPassword }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const body = request.body as { currentPassword: string; newPassword: string };
      const session = request.consoleSession?.record;
      const known = readKnownBrowserCookie(request);
      const renewed = await changePassword(deps, requestContext(request), principalOf(request), {
        ...body,
        ...(session ? { session } : {}),
        ...(known === undefined ? {} : { knownBrowser: known }),
      });
      // The session continues under a new id; the console reads its new CSRF token from GET /api/session.
      if (renewed) setSessionCookie(request, reply, renewed.sessionId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/users',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'List users (site administrators)',
        response: { 200: Type.Object({ users: Type.Array(Type.Ref('Account')) }, { title: 'AccountList' }), ...errorResponses(401, 403) },
      },
    },
    async (request) => ({ users: (await listUsers(deps, principalOf(request))).map(accountBody) }),
  );

  app.post(
    '/api/users',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Create a user (site administrators)',
        body: Type.Object(
          {
            login: Type.String({ minLength: 1, maxLength: 39 }),
            email: Type.String({ minLength: 3, maxLength: 320 }),
            name: Type.Optional(Type.String({ maxLength: 100 })),
            password: Type.Optional(NewPassword),
            siteAdmin: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('Account'), ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request) => accountBody(await createUser(deps, requestContext(request), principalOf(request), request.body as CreateUserInput)),
  );

  app.put(
    '/api/users/:login/password',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "Set a user's password (site administrators); ends all of that user's sessions",
        params: LoginParams,
        body: Type.Object({ password: NewPassword }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await resetPassword(deps, requestContext(request), principalOf(request), (request.params as { login: string }).login, (request.body as { password: string }).password);
      return reply.code(204).send();
    },
  );

  app.put(
    '/api/users/:login/disabled',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Disable or re-enable a user (site administrators); disabling ends their sessions',
        params: LoginParams,
        body: Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Ref('Account'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      accountBody(await setUserDisabled(deps, requestContext(request), principalOf(request), (request.params as { login: string }).login, (request.body as { disabled: boolean }).disabled)),
  );
}
