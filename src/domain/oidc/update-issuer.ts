import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import { orgPersonAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { OidcIssuer } from '../records.js';
import { saveIssuerChange } from './save-issuer-change.js';
import { checkIssuerName, checkMaxExpiration, checkStaticJwks, checkThumbprints, findIssuerOrFail } from './issuer-fields.js';

export interface UpdateIssuerInput {
  name: string;
  /** Sent by some clients; it must equal the registered URL, which cannot change. */
  url?: string;
  thumbprints?: string[];
  maxExpiration?: number;
  /** A new static key set, or null to go back to fetching from the discovered jwks_uri. */
  jwks?: Record<string, unknown> | null;
}

/** Updates an issuer's name, thumbprints, maxExpiration or static key set (organization admins). */
export async function updateIssuer(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, issuerId: string, input: UpdateIssuerInput): Promise<OidcIssuer> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'change OIDC issuers');
  const current = await findIssuerOrFail(deps, org, issuerId);
  if (input.url !== undefined && input.url !== current.url) fail('issuer_invalid', "an issuer's URL cannot change; register a new issuer instead");
  let jwks = current.jwks;
  if (input.jwks === null) {
    if (!current.jwksUri) fail('issuer_invalid', 'this issuer was registered with a static key set and has no jwks_uri to fetch from');
    jwks = null;
  } else if (input.jwks !== undefined) {
    jwks = await checkStaticJwks(input.jwks);
  }
  const updated: OidcIssuer = {
    ...current,
    name: checkIssuerName(input.name),
    thumbprints: input.thumbprints === undefined ? current.thumbprints : checkThumbprints(input.thumbprints),
    maxExpiration: input.maxExpiration === undefined ? current.maxExpiration : checkMaxExpiration(input.maxExpiration),
    jwks,
    modifiedAt: deps.clock.now(),
  };
  const changed = (['name', 'thumbprints', 'maxExpiration', 'jwks'] as const).filter((k) => JSON.stringify(updated[k]) !== JSON.stringify(current[k]));
  return saveIssuerChange(deps, ctx, principal, org, updated, 'oidc_issuer_updated', { changed, thumbprints: updated.thumbprints, maxExpiration: updated.maxExpiration });
}
