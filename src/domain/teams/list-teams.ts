import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { Team } from '../records.js';
import { orgAccess } from '../orgs/org-access.js';

/** The organization's teams, for any caller that belongs to it. */
export async function listTeams(deps: Deps, principal: Principal, orgName: string): Promise<Team[]> {
  const { org } = await orgAccess(deps, principal, orgName);
  return deps.store.listTeams(org.id);
}
