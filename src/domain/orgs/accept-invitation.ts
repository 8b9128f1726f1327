import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import type { Principal } from '../principal.js';
import type { OrgRole } from '../records.js';
import { takeInvitation } from './answer-invitation.js';
import { requireInvitee } from './invitation-rules.js';

/**
 * The invitee accepts: they become a member with the invitation's role, in one transaction with
 * the audit events. Someone who meanwhile became a member keeps their role.
 */
export async function acceptInvitation(deps: Deps, ctx: RequestContext, principal: Principal, invitationId: string): Promise<{ organization: string; role: OrgRole }> {
  const invitee = requireInvitee(principal);
  return deps.store.transaction(async (tx) => {
    const invitation = await takeInvitation(tx, deps, invitee, invitationId);
    const previous = await tx.findMemberRole(invitation.orgId, invitee.user.id);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'invitation_accepted',
      orgId: invitation.orgId,
      targetType: 'invitation',
      targetId: invitation.id,
      targetName: invitee.user.login,
      details: { role: invitation.role, invitedBy: invitation.invitedBy },
    });
    if (previous !== undefined) return { organization: invitation.orgName, role: previous };
    await tx.upsertMember(invitation.orgId, invitee.user.id, invitation.role, deps.clock.now());
    await recordAudit(tx, deps, ctx, principal, {
      action: 'member_added',
      orgId: invitation.orgId,
      targetType: 'user',
      targetId: invitee.user.id,
      targetName: invitee.user.login,
      details: { role: invitation.role, previousRole: null, invitationId: invitation.id, invitedBy: invitation.invitedBy },
    });
    return { organization: invitation.orgName, role: invitation.role };
  });
}
