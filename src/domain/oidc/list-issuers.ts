import type { Deps } from '../deps.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { OidcIssuer } from '../records.js';

/** The organization's OIDC issuers (organization admins). */
export async function listIssuers(deps: Deps, principal: Principal, orgName: string): Promise<OidcIssuer[]> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  return (await deps.store.listIssuers(org.id)).map((i) => deps.lastUsed.fresh(i));
}
