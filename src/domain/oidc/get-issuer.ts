import type { Deps } from '../deps.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { OidcIssuer } from '../records.js';
import { findIssuerOrFail } from './issuer-fields.js';

/** One OIDC issuer of the organization (organization admins); other organizations' issuers are not found. */
export async function getIssuer(deps: Deps, principal: Principal, orgName: string, issuerId: string): Promise<OidcIssuer> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  return deps.lastUsed.fresh(await findIssuerOrFail(deps, org, issuerId));
}
