import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import { recordAudit } from '../audit/record-audit.js';
import { findTeamOrFail, orgAdminAccess } from '../orgs/org-access.js';

/** Removes a user from a team (organization admins only). */
export async function removeTeamMember(
  deps: Deps,
  ctx: RequestContext,
  principal: Principal,
  orgName: string,
  teamName: string,
  login: string,
): Promise<void> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const team = await findTeamOrFail(deps, org, teamName);
  // Unknown logins and users who are not in the team get the same answer (catalog X14).
  const notMember = (): never => fail('member_not_found', `'${login}' is not a member of team '${teamName}'`);
  const user = (await deps.store.findUserByLogin(login)) ?? notMember();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.deleteTeamMember(team.id, user.id))) notMember();
    await recordAudit(tx, deps, ctx, principal, {
      action: 'team_member_removed',
      orgId: org.id,
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { team: team.name },
    });
  });
}
