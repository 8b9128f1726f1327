import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { Member, Organization } from '../records.js';
import { orgAccess } from './org-access.js';

/** The organization and its members, for any caller that belongs to it. */
export async function listMembers(deps: Deps, principal: Principal, orgName: string): Promise<{ org: Organization; members: Member[] }> {
  const { org } = await orgAccess(deps, principal, orgName);
  return { org, members: await deps.store.listMembers(org.id) };
}
