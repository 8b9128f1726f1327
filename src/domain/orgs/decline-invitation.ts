import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import type { Principal } from '../principal.js';
import { takeInvitation } from './answer-invitation.js';
import { requireInvitee } from './invitation-rules.js';

/** The invitee declines: the invitation goes, and the organization's audit log says so. */
export async function declineInvitation(deps: Deps, ctx: RequestContext, principal: Principal, invitationId: string): Promise<void> {
  const invitee = requireInvitee(principal);
  await deps.store.transaction(async (tx) => {
    const invitation = await takeInvitation(tx, deps, invitee, invitationId);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'invitation_declined',
      orgId: invitation.orgId,
      targetType: 'invitation',
      targetId: invitation.id,
      targetName: invitee.user.login,
      details: { role: invitation.role, invitedBy: invitation.invitedBy },
    });
  });
}
