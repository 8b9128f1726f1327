import { randomUUID } from 'node:crypto';
import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Team } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';
import { ORG_NAME } from '../orgs/create-org.js';
import { orgAdminAccess } from '../orgs/org-access.js';

export interface CreateTeamInput {
  name: string;
  description?: string;
  /** Login of an organization member who becomes the team's first maintainer. */
  maintainer?: string;
}

/** Creates a team (organization admins only), optionally with a first maintainer. */
export async function createTeam(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, input: CreateTeamInput): Promise<Team> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  if (!ORG_NAME.test(input.name)) fail('name_invalid', 'team names are 1 to 40 letters, digits, ., - or _');
  const maintainerLogin = input.maintainer;
  const maintainer = maintainerLogin === undefined ? undefined : ((await deps.store.findUserByLogin(maintainerLogin)) ?? null);
  const team: Team = { id: randomUUID(), orgId: org.id, name: input.name, description: input.description ?? '', createdAt: deps.clock.now() };
  await deps.store.transaction(async (tx) => {
    if (await tx.findTeam(org.id, team.name)) fail('team_name_taken', `team '${team.name}' already exists`);
    await tx.insertTeam(team);
    await recordAudit(tx, deps, ctx, principal, { action: 'team_created', orgId: org.id, targetType: 'team', targetId: team.id, targetName: team.name });
    if (maintainer !== undefined) {
      // Unknown logins and users who are not members get the same answer, at the same point (catalog X14).
      if (!maintainer || !(await tx.findMemberRole(org.id, maintainer.id))) fail('member_not_found', `'${maintainerLogin}' is not a member of '${orgName}'`);
      await tx.upsertTeamMember(team.id, maintainer.id, 'maintainer', team.createdAt);
      await recordAudit(tx, deps, ctx, principal, {
        action: 'team_member_added',
        orgId: org.id,
        targetType: 'user',
        targetId: maintainer.id,
        targetName: maintainer.login,
        details: { team: team.name, role: 'maintainer' },
      });
    }
  });
  return team;
}
