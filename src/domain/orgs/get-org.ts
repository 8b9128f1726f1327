import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { Organization } from '../records.js';
import { orgAccess } from './org-access.js';

export interface OrgSummary {
  org: Organization;
  /** The caller's rights: what the console may offer. */
  admin: boolean;
  memberCount: number;
  teamCount: number;
}

/** Reads an organization the caller belongs to. */
export async function getOrg(deps: Deps, principal: Principal, orgName: string): Promise<OrgSummary> {
  const { org, admin } = await orgAccess(deps, principal, orgName);
  const [members, teams] = await Promise.all([deps.store.listMembers(org.id), deps.store.listTeams(org.id)]);
  return { org, admin, memberCount: members.length, teamCount: teams.length };
}
