import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { TeamRole } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';
import { findTeamOrFail, orgAdminAccess } from '../orgs/org-access.js';

/** Adds an organization member to a team or changes their team role (organization admins only). */
export async function setTeamMember(
  deps: Deps,
  ctx: RequestContext,
  principal: Principal,
  orgName: string,
  teamName: string,
  login: string,
  role: TeamRole,
): Promise<{ role: TeamRole; created: boolean }> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const team = await findTeamOrFail(deps, org, teamName);
  // Unknown logins and users who are not members get the same answer (catalog X14).
  const notMember = (): never => fail('member_not_found', `'${login}' is not a member of '${orgName}'`);
  const user = (await deps.store.findUserByLogin(login)) ?? notMember();
  return deps.store.transaction(async (tx) => {
    if (!(await tx.findMemberRole(org.id, user.id))) notMember();
    const previous = await tx.findTeamRole(team.id, user.id);
    if (previous === role) return { role, created: false };
    await tx.upsertTeamMember(team.id, user.id, role, deps.clock.now());
    await recordAudit(tx, deps, ctx, principal, {
      action: previous ? 'team_member_role_changed' : 'team_member_added',
      orgId: org.id,
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { team: team.name, role, previousRole: previous ?? null },
    });
    return { role, created: previous === undefined };
  });
}
