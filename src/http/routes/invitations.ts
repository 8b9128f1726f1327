import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { acceptInvitation } from '../../domain/orgs/accept-invitation.js';
import { cancelInvitation } from '../../domain/orgs/cancel-invitation.js';
import { declineInvitation } from '../../domain/orgs/decline-invitation.js';
import { listOrgInvitations } from '../../domain/orgs/list-invitations.js';
import { listOwnInvitations } from '../../domain/orgs/list-own-invitations.js';
import type { Invitation } from '../../domain/records.js';
import { principalOf, requestContext, requireAuth } from '../context.js';
import { errorResponses, OrgParams } from '../schemas.js';

const InvitationIdParam = Type.Object({ invitationId: Type.String({ minLength: 1, maxLength: 64 }) });
const OrgInvitationParams = Type.Composite([OrgParams, InvitationIdParam]);
const tags = ['invitations'];

/** The wire form of an invitation (API.md section 5). */
export function invitationBody(i: Invitation) {
  return {
    id: i.id,
    organization: i.orgName,
    login: i.login,
    role: i.role,
    invitedBy: i.invitedBy,
    created: new Date(i.createdAt).toISOString(),
    expires: Math.floor(i.expiresAt / 1000),
  };
}

/**
 * Membership invitations: the invitee answers their own (session or a personal token they
 * created), organization admins as persons list and cancel their organization's.
 */
export function registerInvitationRoutes(app: FastifyInstance, deps: Deps): void {
  const auth = requireAuth(deps);

  app.get(
    '/api/user/invitations',
    {
      onRequest: auth,
      schema: { tags, summary: "List the caller's pending invitations", response: { 200: Type.Ref('InvitationList'), ...errorResponses(401, 403) } },
    },
    async (request) => ({ invitations: (await listOwnInvitations(deps, principalOf(request))).map(invitationBody) }),
  );

  app.post(
    '/api/user/invitations/:invitationId/accept',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Accept an invitation: the caller becomes a member with its role',
        params: InvitationIdParam,
        response: { 200: Type.Object({ organization: Type.String(), role: Type.String() }, { title: 'AcceptedInvitation' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => acceptInvitation(deps, requestContext(request), principalOf(request), (request.params as { invitationId: string }).invitationId),
  );

  app.post(
    '/api/user/invitations/:invitationId/decline',
    {
      onRequest: auth,
      schema: { tags, summary: 'Decline an invitation', params: InvitationIdParam, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      await declineInvitation(deps, requestContext(request), principalOf(request), (request.params as { invitationId: string }).invitationId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/orgs/:org/invitations',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "List the organization's pending invitations (admins, as persons)",
        params: OrgParams,
        response: { 200: Type.Ref('InvitationList'), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({ invitations: (await listOrgInvitations(deps, principalOf(request), (request.params as { org: string }).org)).map(invitationBody) }),
  );

  app.delete(
    '/api/orgs/:org/invitations/:invitationId',
    {
      onRequest: auth,
      schema: { tags, summary: 'Cancel a pending invitation (admins, as persons)', params: OrgInvitationParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      const { org, invitationId } = request.params as { org: string; invitationId: string };
      await cancelInvitation(deps, requestContext(request), principalOf(request), org, invitationId);
      return reply.code(204).send();
    },
  );
}
