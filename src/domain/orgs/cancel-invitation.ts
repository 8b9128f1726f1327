import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import { invitationPending } from './invitation-rules.js';
import { orgPersonAdminAccess } from './org-access.js';

/** Cancels a pending invitation of the organization (admins as persons). */
export async function cancelInvitation(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, invitationId: string): Promise<void> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'cancel invitations');
  const notFound = (): never => fail('invitation_not_found', `no pending invitation '${invitationId}' in '${orgName}'`);
  await deps.store.transaction(async (tx) => {
    const invitation = (await tx.findInvitation(invitationId)) ?? notFound();
    if (invitation.orgId !== org.id || !invitationPending(invitation, deps.clock.now())) notFound();
    if (!(await tx.deleteInvitation(invitation.id))) notFound();
    await recordAudit(tx, deps, ctx, principal, {
      action: 'invitation_canceled',
      orgId: org.id,
      targetType: 'invitation',
      targetId: invitation.id,
      targetName: invitation.login,
      details: { role: invitation.role, invitedBy: invitation.invitedBy },
    });
  });
}
