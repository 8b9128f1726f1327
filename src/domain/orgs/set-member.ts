import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Invitation, OrgRole } from '../records.js';
import type { Store } from '../store.js';
import { recordAudit } from '../audit/record-audit.js';
import { LOGIN } from '../users/create-user.js';
import { inviteMember } from './invite-member.js';
import { orgPersonAdminAccess } from './org-access.js';

export type SetMemberResult = { kind: 'member'; role: OrgRole; created: boolean } | { kind: 'invited'; invitation: Invitation };

/**
 * `PUT /api/orgs/{org}/members/{login}`: changes an existing member's role at once, or invites
 * anyone else (API.md section 5); organization admins as persons only (catalog X02). Only the
 * operator (`tessera admin add-member`, principal SYSTEM) adds a user directly: adding someone to
 * an organization gives its admins power over what that person's credentials can do there, so it
 * needs their consent (catalog X01). Demoting the last admin is refused so an organization can
 * never lock itself out.
 */
export async function setMember(deps: Deps, ctx: RequestContext, principal: Principal, orgName: string, login: string, role: OrgRole): Promise<SetMemberResult> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'invite members or change their roles');
  if (!LOGIN.test(login)) fail('invalid_request', 'login must be 1 to 39 letters, digits, ., - or _, starting with a letter or digit');
  const user = (await deps.store.findUserByLogin(login)) ?? null;
  if (principal.kind === 'system' && !user) fail('user_not_found', `user '${login}' not found`);
  return deps.store.transaction(async (tx) => {
    // Read for an unknown login too (no user id matches ''), so both paths make the same queries.
    const previous = await tx.findMemberRole(org.id, user?.id ?? '');
    if (previous === undefined && principal.kind !== 'system') {
      return { kind: 'invited', invitation: await inviteMember(tx, deps, ctx, principal, org, login, user, role) };
    }
    // Here user is set: SYSTEM refused unknown logins above, and only users have a role.
    const member = user!;
    if (previous === role) return { kind: 'member', role, created: false };
    if (previous === 'admin' && (await tx.countAdmins(org.id)) <= 1) fail('last_admin', 'an organization needs at least one admin');
    await tx.upsertMember(org.id, member.id, role, deps.clock.now());
    // A direct addition answers any pending invitation of the login.
    if (previous === undefined) await tx.deleteInvitationsFor(org.id, login);
    await auditMembership(tx, deps, ctx, principal, org.id, member.id, login, role, previous ?? null);
    return { kind: 'member', role, created: previous === undefined };
  });
}

async function auditMembership(tx: Store, deps: Deps, ctx: RequestContext, principal: Principal, orgId: string, userId: string, login: string, role: OrgRole, previous: OrgRole | null): Promise<void> {
  await recordAudit(tx, deps, ctx, principal, {
    action: previous ? 'member_role_changed' : 'member_added',
    orgId,
    targetType: 'user',
    targetId: userId,
    targetName: login,
    details: { role, previousRole: previous },
  });
}
