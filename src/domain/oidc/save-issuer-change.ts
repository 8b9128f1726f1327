import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import type { Principal } from '../principal.js';
import type { OidcIssuer, Organization } from '../records.js';

/**
 * Stores a changed issuer with its audit event in one transaction, then drops its cached keys:
 * the key source or the pins may have changed, so the next exchange must load keys afresh.
 */
export async function saveIssuerChange(
  deps: Deps,
  ctx: RequestContext,
  principal: Principal,
  org: Organization,
  updated: OidcIssuer,
  action: 'oidc_issuer_updated' | 'oidc_issuer_thumbprints_regenerated',
  details: Record<string, unknown>,
): Promise<OidcIssuer> {
  await deps.store.transaction(async (tx) => {
    await tx.updateIssuer(updated);
    await recordAudit(tx, deps, ctx, principal, {
      action,
      orgId: org.id,
      targetType: 'oidc_issuer',
      targetId: updated.id,
      targetName: updated.name,
      details,
    });
  });
  deps.oidc.keys.forget(updated.id);
  return updated;
}
