import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import { orgPersonAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import { findIssuerOrFail } from './issuer-fields.js';

/** Deletes an issuer and its policy (organization admins); tokens it minted stay valid until they expire. */
export async function deleteIssuer(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, issuerId: string): Promise<void> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'delete OIDC issuers');
  const issuer = await findIssuerOrFail(deps, org, issuerId);
  await deps.store.transaction(async (tx) => {
    if (!(await tx.deleteIssuer(issuer.id))) return;
    await recordAudit(tx, deps, ctx, principal, {
      action: 'oidc_issuer_deleted',
      orgId: org.id,
      targetType: 'oidc_issuer',
      targetId: issuer.id,
      targetName: issuer.name,
      details: { url: issuer.url },
    });
  });
  deps.oidc.keys.forget(issuer.id);
}
