import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { OrgRole } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';
import { findUserOrFail } from '../users/create-user.js';
import { orgAdminAccess } from './org-access.js';

/**
 * Adds a user to an organization or changes their role (admins only). Demoting the last admin is
 * refused so an organization can never lock itself out.
 */
export async function setMember(
  deps: Deps,
  ctx: RequestContext,
  principal: Principal,
  orgName: string,
  login: string,
  role: OrgRole,
): Promise<{ role: OrgRole; created: boolean }> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const user = await findUserOrFail(deps, login);
  return deps.store.transaction(async (tx) => {
    const previous = await tx.findMemberRole(org.id, user.id);
    if (previous === role) return { role, created: false };
    if (previous === 'admin' && (await tx.countAdmins(org.id)) <= 1) fail('last_admin', 'an organization needs at least one admin');
    await tx.upsertMember(org.id, user.id, role, deps.clock.now());
    await recordAudit(tx, deps, ctx, principal, {
      action: previous ? 'member_role_changed' : 'member_added',
      orgId: org.id,
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { role, previousRole: previous ?? null },
    });
    return { role, created: previous === undefined };
  });
}
