import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { AuthPolicy } from '../records.js';
import { findIssuerOrFail } from './issuer-fields.js';

/** The AuthPolicy of an issuer of the organization (organization admins). */
export async function getPolicy(deps: Deps, principal: Principal, orgName: string, issuerId: string): Promise<AuthPolicy> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const issuer = await findIssuerOrFail(deps, org, issuerId);
  return (await deps.store.findAuthPolicyByIssuer(issuer.id)) ?? fail('policy_not_found', `issuer '${issuerId}' has no policy`);
}
