import type { Deps, RequestContext } from '../deps.js';
import { RetryLaterError } from '../errors.js';
import { orgPersonAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { OidcIssuer } from '../records.js';
import { discoverIssuer } from './discover-issuer.js';
import { findIssuerOrFail } from './issuer-fields.js';
import { saveIssuerChange } from './save-issuer-change.js';

/**
 * Fetches discovery and keys again, without the current pins but with full certificate
 * validation, and records the fingerprints of the certificates now serving them (organization
 * admins). Used after the issuer rotated its certificate. The discovered `issuer` must still equal
 * the URL.
 */
export async function regenerateThumbprints(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, issuerId: string): Promise<OidcIssuer> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'regenerate thumbprints');
  const current = await findIssuerOrFail(deps, org, issuerId);
  // Fetches like a registration, so it counts like one, per organization and per person (X14).
  const wait = deps.oidc.registrations.take(org.id, principal);
  if (wait > 0) throw new RetryLaterError('too_many_fetches', 'too many issuer fetches in this organization or by this person; retry later', wait);
  const discovered = await discoverIssuer(current.url, deps.oidc.fetch, []);
  const updated: OidcIssuer = { ...current, thumbprints: discovered.thumbprints, jwksUri: discovered.jwksUri, modifiedAt: deps.clock.now() };
  return saveIssuerChange(deps, ctx, principal, org, updated, 'oidc_issuer_thumbprints_regenerated', { before: current.thumbprints, after: updated.thumbprints });
}
