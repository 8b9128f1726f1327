import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { Team, TeamMember } from '../records.js';
import { findTeamOrFail, orgAccess } from '../orgs/org-access.js';

/** A team with its members, for any caller that belongs to the organization. */
export async function getTeam(deps: Deps, principal: Principal, orgName: string, teamName: string): Promise<{ team: Team; members: TeamMember[] }> {
  const { org } = await orgAccess(deps, principal, orgName);
  const team = await findTeamOrFail(deps, org, teamName);
  return { team, members: await deps.store.listTeamMembers(team.id) };
}
