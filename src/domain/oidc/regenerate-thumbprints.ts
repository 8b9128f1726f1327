import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { OidcIssuer } from '../records.js';
import { discoverIssuer } from './discover-issuer.js';
import { findIssuerOrFail } from './issuer-fields.js';

/**
 * Fetches discovery and keys again, without the current pins but with full certificate
 * validation, and records the fingerprints of the certificates now serving them (organization
 * admins). Used after the issuer rotated its certificate. The discovered `issuer` must still equal
 * the URL.
 */
export async function regenerateThumbprints(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, issuerId: string): Promise<OidcIssuer> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const current = await findIssuerOrFail(deps, org, issuerId);
  const discovered = await discoverIssuer(current.url, deps.oidc.fetch, []);
  const updated: OidcIssuer = { ...current, thumbprints: discovered.thumbprints, jwksUri: discovered.jwksUri, modifiedAt: deps.clock.now() };
  await deps.store.transaction(async (tx) => {
    await tx.updateIssuer(updated);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'oidc_issuer_thumbprints_regenerated',
      orgId: org.id,
      targetType: 'oidc_issuer',
      targetId: updated.id,
      targetName: updated.name,
      details: { before: current.thumbprints, after: updated.thumbprints },
    });
  });
  deps.oidc.keys.forget(updated.id);
  return updated;
}
