import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { Invitation } from '../records.js';
import { orgPersonAdminAccess } from './org-access.js';

/** The organization's pending invitations (admins as persons): unknown logins listed like users. */
export async function listOrgInvitations(deps: Deps, principal: Principal, orgName: string): Promise<Invitation[]> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'list invitations');
  return deps.store.listOrgInvitations(org.id, deps.clock.now());
}
