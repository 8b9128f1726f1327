import { randomUUID } from 'node:crypto';
import type { Deps, RequestContext } from '../deps.js';
import { fail, RetryLaterError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Organization, User } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';

/** Organization and team names: 1 to 40 letters, digits, ., - or _, starting with a letter or digit. */
export const ORG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/**
 * Creates an organization whose first admin is `owner`. A person creates organizations for
 * themselves; only the operator may name another owner.
 */
export async function createOrg(deps: Deps, ctx: RequestContext, principal: Principal, name: string, owner: User): Promise<Organization> {
  const allowed = principal.kind === 'system' || (principal.kind === 'user' && principal.user.id === owner.id);
  if (!allowed) fail('forbidden', 'organizations are created by a person, who becomes their first admin');
  if (!ORG_NAME.test(name)) fail('name_invalid', 'organization names are 1 to 40 letters, digits, ., - or _');
  // Per person (X14): per-organization limits must not multiply with organizations made at will.
  const wait = deps.orgCreations.take(principal);
  if (wait > 0) throw new RetryLaterError('too_many_organizations', `too many organizations created; retry in ${wait} seconds`, wait);
  const org: Organization = { id: randomUUID(), name, createdAt: deps.clock.now() };
  await deps.store.transaction(async (tx) => {
    if (await tx.findOrgByName(name)) fail('org_name_taken', `organization '${name}' already exists`);
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
  return org;
}
