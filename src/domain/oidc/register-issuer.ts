import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import { fail, RetryLaterError } from '../errors.js';
import { orgPersonAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { AuthPolicy, OidcIssuer } from '../records.js';
import { discoverIssuer } from './discover-issuer.js';
import { IssuerFetchError, checkIssuerTarget } from './fetch-issuer-document.js';
import { checkIssuerName, checkMaxExpiration, checkStaticJwks, checkThumbprints } from './issuer-fields.js';

export interface RegisterIssuerInput {
  name: string;
  url: string;
  thumbprints?: string[];
  maxExpiration?: number;
  jwks?: Record<string, unknown>;
}

/**
 * Registers an OIDC issuer (organization admins): fetches its discovery document and key set
 * under the outbound policy, unless a static `jwks` is given (then nothing is fetched), records the
 * serving certificate's fingerprint when no thumbprints are given, and creates its AuthPolicy with
 * no policies, which denies every exchange until an admin writes some.
 */
export async function registerIssuer(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, input: RegisterIssuerInput): Promise<{ issuer: OidcIssuer; policy: AuthPolicy }> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'register OIDC issuers');
  const name = checkIssuerName(input.name);
  const maxExpiration = checkMaxExpiration(input.maxExpiration);
  const pins = checkThumbprints(input.thumbprints ?? []);
  const jwks = input.jwks === undefined ? null : await checkStaticJwks(input.jwks);
  const existing = await deps.store.listIssuers(org.id);
  if (existing.some((i) => i.name === name || i.url === input.url)) fail('issuer_taken', `an issuer named '${name}' or with URL '${input.url}' is already registered`);

  // Counted before anything is fetched: every attempt makes outbound requests (S05).
  const wait = deps.oidc.registrations.take(org.id, principal);
  if (wait > 0) throw new RetryLaterError('too_many_registrations', 'too many issuer registrations in this organization or by this person; retry later', wait);

  let discovered: { issuer: string; jwksUri: string | null; thumbprints: string[] };
  if (jwks) {
    // A static key set replaces fetching altogether; the URL is still checked, since a later
    // regenerate-thumbprints would fetch from it.
    await checkUrlOnly(deps, input.url);
    discovered = { issuer: input.url, jwksUri: null, thumbprints: [] };
  } else {
    discovered = await discoverIssuer(input.url, deps.oidc.fetch, pins);
  }

  const now = deps.clock.now();
  const issuer: OidcIssuer = {
    id: randomUUID(),
    orgId: org.id,
    name,
    url: input.url,
    issuer: discovered.issuer,
    thumbprints: pins.length > 0 ? pins : discovered.thumbprints,
    maxExpiration,
    jwks,
    jwksUri: discovered.jwksUri,
    createdAt: now,
    modifiedAt: now,
    lastUsed: 0,
  };
  const policy: AuthPolicy = { id: randomUUID(), issuerId: issuer.id, version: 1, policies: [], createdAt: now, modifiedAt: now };
  await deps.store.transaction(async (tx) => {
    await tx.insertIssuer(issuer);
    await tx.insertAuthPolicy(policy);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'oidc_issuer_created',
      orgId: org.id,
      targetType: 'oidc_issuer',
      targetId: issuer.id,
      targetName: issuer.name,
      details: { url: issuer.url, thumbprints: issuer.thumbprints, maxExpiration, staticJwks: jwks !== null },
    });
  });
  return { issuer, policy };
}

/** The URL checks without a fetch: scheme and, for IP literals and names, the address rules. */
async function checkUrlOnly(deps: Deps, url: string): Promise<void> {
  try {
    await checkIssuerTarget(url, deps.oidc.fetch);
  } catch (err) {
    if (err instanceof IssuerFetchError && err.kind === 'refused') fail('issuer_url_refused', err.message);
    // A name that does not resolve today is acceptable for an issuer whose keys are given.
  }
}
