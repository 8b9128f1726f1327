import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { describeCaller, type CallerDescription } from '../../domain/users/describe-caller.js';
import { principalOf, requireAuth } from '../context.js';
import { errorResponses } from '../schemas.js';

/** `GET /api/user`: who is calling, in the Pulumi User shape (API.md section 3). */
export function registerUserRoutes(app: FastifyInstance, deps: Deps): void {
  app.get(
    '/api/user',
    { onRequest: requireAuth(deps), schema: { tags: ['user'], summary: 'Describe the caller', response: { 200: Type.Ref('User'), ...errorResponses(401) } } },
    async (request) => userBody(await describeCaller(deps, principalOf(request))),
  );
}

/** The Pulumi User shape of a caller; also the `user` of a console session. */
export function userBody(me: CallerDescription) {
  return {
    id: me.id,
    githubLogin: me.login,
    name: me.name,
    email: me.email,
    avatarUrl: '',
    organizations: me.organizations.map((o) => ({ name: o.name, githubLogin: o.name, avatarUrl: '', role: o.role })),
    identities: [],
    hasMFA: false,
    isOrgManaged: false,
    isManagedByMultiOrg: false,
    siteAdmin: me.siteAdmin,
    ...(me.tokenInfo ? { tokenInfo: me.tokenInfo } : {}),
    ...(me.token ? { token: me.token } : {}),
  };
}
