import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import { recordAudit } from '../audit/record-audit.js';
import { orgPersonAdminAccess } from './org-access.js';

/**
 * Removes a user from an organization and from all of its teams (admins as persons only). The user's
 * personal tokens lose access to the organization on their next request, since membership is read
 * on every request. Team and organization tokens they created stay: they belong to the team or
 * organization, not to the person.
 */
export async function removeMember(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, login: string): Promise<void> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'remove members');
  // Unknown logins and users who are not members get the same answer (catalog X14).
  const notMember = (): never => fail('member_not_found', `'${login}' is not a member of '${orgName}'`);
  const user = (await deps.store.findUserByLogin(login)) ?? notMember();
  await deps.store.transaction(async (tx) => {
    const role = await tx.findMemberRole(org.id, user.id);
    if (!role) notMember();
    if (role === 'admin' && (await tx.countAdmins(org.id)) <= 1) fail('last_admin', 'an organization needs at least one admin');
    await tx.deleteTeamMembershipsInOrg(org.id, user.id);
    await tx.deleteMember(org.id, user.id);
    await recordAudit(tx, deps, ctx, principal, { action: 'member_removed', orgId: org.id, targetType: 'user', targetId: user.id, targetName: user.login });
  });
}
