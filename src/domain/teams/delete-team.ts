import { nowSeconds } from '../clock.js';
import type { Deps, RequestContext } from '../deps.js';
import type { Principal } from '../principal.js';
import { recordAudit } from '../audit/record-audit.js';
import { findTeamOrFail, orgAdminAccess } from '../orgs/org-access.js';

/**
 * Deletes a team (organization admins only) and revokes its tokens in the same transaction. The
 * revoked token rows stay, so their names remain taken and their history readable.
 */
export async function deleteTeam(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, teamName: string): Promise<void> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const team = await findTeamOrFail(deps, org, teamName);
  await deps.store.transaction(async (tx) => {
    const revoked = await tx.revokeTeamTokens(team.id, nowSeconds(deps.clock));
    await tx.deleteTeam(team.id);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'team_deleted',
      orgId: org.id,
      targetType: 'team',
      targetId: team.id,
      targetName: team.name,
      details: { revokedTokens: revoked },
    });
  });
}
