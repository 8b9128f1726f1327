import { randomUUID } from 'node:crypto';
import type { Deps, RequestContext } from '../deps.js';
import { fail, RetryLaterError } from '../errors.js';
import { boundOrgId, type Principal } from '../principal.js';
import type { Organization, User } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';

/**
 * Organization and team names as they may appear (audience URNs, paths): 1 to 40 letters, digits,
 * ., - or _, starting with a letter or digit. Names created before X13 may end in punctuation.
 */
export const ORG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
/**
 * A new organization's name (X13): as ORG_NAME, and ending with a letter or digit too, so `acme.`
 * or `acme-` cannot pass for `acme` (GitHub's rule for organization names).
 */
export const NEW_ORG_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,38}[A-Za-z0-9])?$/;

/**
 * Creates an organization whose first admin is `owner`. A person creates organizations for
 * themselves; only the operator may name another owner.
 */
export async function createOrg(deps: Deps, ctx: RequestContext, principal: Principal, name: string, owner: User): Promise<Organization> {
  const allowed = principal.kind === 'system' || (principal.kind === 'user' && principal.user.id === owner.id);
  if (!allowed) fail('forbidden', 'organizations are created by a person, who becomes their first admin');
  // An exchanged token reaches only the organization that minted it (catalog X01).
  if (boundOrgId(principal) !== null) fail('forbidden', 'a token minted by token exchange cannot create organizations');
  if (!NEW_ORG_NAME.test(name)) fail('name_invalid', 'organization names are 1 to 40 letters, digits, ., - or _, starting and ending with a letter or digit');
  // Per person (X14): per-organization limits must not multiply with organizations made at will.
  const reservation = await deps.orgCreations.reserve(principal);
  if (!reservation.ok) {
    const wait = reservation.retryAfterSeconds;
    throw new RetryLaterError('too_many_organizations', `too many organizations created; retry in ${wait} seconds`, wait);
  }
  const org: Organization = { id: randomUUID(), name, createdAt: deps.clock.now() };
  let created = false;
  try {
    await deps.store.transaction(async (tx) => {
      // Ignoring case (X13): `Acme` is taken when `acme` exists. The unique index on lower(name)
      // decides a race; this gives the common case its clear error.
      const existing = await tx.findOrgByNameIgnoringCase(name);
      if (existing) fail('org_name_taken', existing.name === name ? `organization '${name}' already exists` : `organization '${existing.name}' already exists; names differ by more than case`);
      await tx.insertOrg(org);
      await tx.upsertMember(org.id, owner.id, 'admin', org.createdAt);
      await recordAudit(tx, deps, ctx, principal, { action: 'organization_created', orgId: org.id, targetType: 'organization', targetId: org.id, targetName: name });
      await recordAudit(tx, deps, ctx, principal, {
        action: 'member_added',
        orgId: org.id,
        targetType: 'user',
        targetId: owner.id,
        targetName: owner.login,
        details: { role: 'admin' },
      });
    });
    created = true;
  } finally {
    reservation.done(created);
  }
  return org;
}
