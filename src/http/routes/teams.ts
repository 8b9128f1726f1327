import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import type { Team } from '../../domain/records.js';
import { createTeam } from '../../domain/teams/create-team.js';
import { deleteTeam } from '../../domain/teams/delete-team.js';
import { getTeam } from '../../domain/teams/get-team.js';
import { listTeams } from '../../domain/teams/list-teams.js';
import { removeTeamMember } from '../../domain/teams/remove-team-member.js';
import { setTeamMember } from '../../domain/teams/set-team-member.js';
import { principalOf, requestContext, requireAuth } from '../context.js';
import { errorResponses, OrgParams, TeamParams } from '../schemas.js';
import { memberUserBody } from './orgs.js';

const TeamMemberParams = Type.Composite([TeamParams, Type.Object({ login: Type.String({ minLength: 1, maxLength: 100 }) })]);
const tags = ['teams'];

function teamBody(t: Team) {
  return { id: t.id, kind: 'pulumi', name: t.name, displayName: t.name, description: t.description, created: new Date(t.createdAt).toISOString() };
}

/** Teams and team membership. Reading is for organization members; changes are for admins. */
export function registerTeamRoutes(app: FastifyInstance, deps: Deps): void {
  const auth = requireAuth(deps);

  app.get(
    '/api/orgs/:org/teams',
    {
      onRequest: auth,
      schema: { tags, summary: 'List teams', params: OrgParams, response: { 200: Type.Object({ teams: Type.Array(Type.Ref('Team')) }), ...errorResponses(401, 404) } },
    },
    async (request) => ({ teams: (await listTeams(deps, principalOf(request), (request.params as { org: string }).org)).map(teamBody) }),
  );

  app.post(
    '/api/orgs/:org/teams',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Create a team (admins)',
        params: OrgParams,
        body: Type.Object(
          { name: Type.String({ maxLength: 40 }), description: Type.Optional(Type.String({ maxLength: 1024 })), maintainer: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('Team'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const body = request.body as { name: string; description?: string; maintainer?: string };
      return teamBody(await createTeam(deps, requestContext(request), principalOf(request), (request.params as { org: string }).org, body));
    },
  );

  app.get(
    '/api/orgs/:org/teams/:team',
    { onRequest: auth, schema: { tags, summary: 'Read a team with its members', params: TeamParams, response: { 200: Type.Ref('TeamDetail'), ...errorResponses(401, 404) } } },
    async (request) => {
      const { org, team } = request.params as { org: string; team: string };
      const t = await getTeam(deps, principalOf(request), org, team);
      return { ...teamBody(t.team), members: t.members.map((m) => ({ ...memberUserBody(m.user), role: m.role })) };
    },
  );

  app.delete(
    '/api/orgs/:org/teams/:team',
    {
      onRequest: auth,
      schema: { tags, summary: 'Delete a team and revoke its tokens (admins)', params: TeamParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      const { org, team } = request.params as { org: string; team: string };
      await deleteTeam(deps, requestContext(request), principalOf(request), org, team);
      return reply.code(204).send();
    },
  );

  app.put(
    '/api/orgs/:org/teams/:team/members/:login',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Add a team member or change their role (admins)',
        params: TeamMemberParams,
        body: Type.Object({ role: Type.Optional(Type.Union([Type.Literal('maintainer'), Type.Literal('member')], { default: 'member' })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ role: Type.String(), created: Type.Boolean() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { org, team, login } = request.params as { org: string; team: string; login: string };
      const role = (request.body as { role?: 'maintainer' | 'member' } | undefined)?.role ?? 'member';
      return setTeamMember(deps, requestContext(request), principalOf(request), org, team, login, role);
    },
  );

  app.delete(
    '/api/orgs/:org/teams/:team/members/:login',
    {
      onRequest: auth,
      schema: { tags, summary: 'Remove a team member (admins)', params: TeamMemberParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      const { org, team, login } = request.params as { org: string; team: string; login: string };
      await removeTeamMember(deps, requestContext(request), principalOf(request), org, team, login);
      return reply.code(204).send();
    },
  );
}
