import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { fail } from '../../domain/errors.js';
import { createOrg } from '../../domain/orgs/create-org.js';
import { getOrg } from '../../domain/orgs/get-org.js';
import { listMembers } from '../../domain/orgs/list-members.js';
import { removeMember } from '../../domain/orgs/remove-member.js';
import { setMember } from '../../domain/orgs/set-member.js';
import type { Organization, User } from '../../domain/records.js';
import { principalOf, requestContext, requireAuth } from '../context.js';
import { errorResponses, OrgParams } from '../schemas.js';
import { invitationBody } from './invitations.js';

const MemberParams = Type.Object({ org: Type.String({ minLength: 1, maxLength: 100 }), login: Type.String({ minLength: 1, maxLength: 100 }) });
const tags = ['organizations'];

export function memberUserBody(u: User) {
  return { name: u.name, githubLogin: u.login, avatarUrl: '', email: u.email };
}

function orgBody(org: Organization, admin: boolean, memberCount: number, teamCount: number) {
  return { id: org.id, name: org.name, githubLogin: org.name, avatarUrl: '', created: new Date(org.createdAt).toISOString(), role: admin ? 'admin' : 'member', memberCount, teamCount };
}

/** Organizations and their members. Reading is for members; changes are for admins. */
export function registerOrgRoutes(app: FastifyInstance, deps: Deps): void {
  const auth = requireAuth(deps);

  app.post(
    '/api/orgs',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Create an organization; the caller becomes its admin',
        body: Type.Object({ name: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('Organization'), ...errorResponses(400, 401, 403, 409, 429) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.kind !== 'user') fail('forbidden', 'organizations are created by a person, not by a token of an organization or team');
      const org = await createOrg(deps, requestContext(request), principal, (request.body as { name: string }).name, principal.user);
      return orgBody(org, true, 1, 0);
    },
  );

  app.get(
    '/api/orgs/:org',
    { onRequest: auth, schema: { tags, summary: 'Read an organization', params: OrgParams, response: { 200: Type.Ref('Organization'), ...errorResponses(401, 404) } } },
    async (request) => {
      const s = await getOrg(deps, principalOf(request), (request.params as { org: string }).org);
      return orgBody(s.org, s.admin, s.memberCount, s.teamCount);
    },
  );

  app.get(
    '/api/orgs/:org/members',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'List members',
        params: OrgParams,
        response: { 200: Type.Object({ members: Type.Array(Type.Ref('OrganizationMember')) }), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { members } = await listMembers(deps, principalOf(request), (request.params as { org: string }).org);
      return { members: members.map((m) => ({ role: m.role, user: memberUserBody(m.user) })) };
    },
  );

  app.put(
    '/api/orgs/:org/members/:login',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "Change a member's role (200), or invite anyone else (202, the same answer whether or not the login exists); admins, as persons",
        params: MemberParams,
        body: Type.Object({ role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('member')], { default: 'member' })) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ role: Type.String(), created: Type.Boolean() }),
          202: Type.Object({ invitation: Type.Ref('Invitation') }, { title: 'InvitationSent' }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { org, login } = request.params as { org: string; login: string };
      const role = (request.body as { role?: 'admin' | 'member' } | undefined)?.role ?? 'member';
      const result = await setMember(deps, requestContext(request), principalOf(request), org, login, role);
      if (result.kind === 'invited') return reply.code(202).send({ invitation: invitationBody(result.invitation) });
      return { role: result.role, created: result.created };
    },
  );

  app.delete(
    '/api/orgs/:org/members/:login',
    {
      onRequest: auth,
      schema: { tags, summary: 'Remove a member (admins, as persons)', params: MemberParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const { org, login } = request.params as { org: string; login: string };
      await removeMember(deps, requestContext(request), principalOf(request), org, login);
      return reply.code(204).send();
    },
  );
}
