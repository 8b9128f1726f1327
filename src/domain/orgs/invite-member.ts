import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Invitation, Organization, OrgRole, User } from '../records.js';
import type { Store } from '../store.js';
import { INVITATION_LIFETIME_MS, MAX_PENDING_INVITATIONS } from './invitation-rules.js';

/**
 * Invites `login` to the organization inside the caller's transaction, replacing a pending
 * invitation of the same organization and login. Unknown logins are invited exactly like users
 * (the row has a null user id and can never be accepted): the answer, the rows written and the
 * audit event are the same either way, so neither the caller nor the organization's audit log
 * learns whether the login exists (catalog X01, X14). The per-login limit is counted by login for
 * the same reason.
 */
export async function inviteMember(
  tx: Store,
  deps: Pick<Deps, 'clock'>,
  ctx: RequestContext,
  principal: Principal,
  org: Organization,
  login: string,
  user: User | null,
  role: OrgRole,
): Promise<Invitation> {
  const now = deps.clock.now();
  // Concurrent invitations of one login queue here, so the limit below holds under concurrency.
  await tx.lockInvitee(login);
  // Expired invitations go first (they neither count nor block), then this organization's
  // previous invitation of the login, which this one replaces.
  await tx.purgeExpiredInvitations(now);
  await tx.deleteInvitationsFor(org.id, login);
  if ((await tx.countPendingInvitations(login, now)) >= MAX_PENDING_INVITATIONS) {
    fail('too_many_invitations', `'${login}' already has ${MAX_PENDING_INVITATIONS} pending invitations; they must answer some, or let them expire, first`);
  }
  const invitation: Invitation = {
    id: randomUUID(),
    orgId: org.id,
    orgName: org.name,
    login,
    userId: user?.id ?? null,
    role,
    invitedBy: principal.kind === 'user' ? principal.user.login : 'system',
    createdAt: now,
    expiresAt: now + INVITATION_LIFETIME_MS,
  };
  await tx.upsertInvitation(invitation);
  await recordAudit(tx, deps, ctx, principal, {
    action: 'member_invited',
    orgId: org.id,
    // The invitation, never the user: a user id here would tell admins the login exists.
    targetType: 'invitation',
    targetId: invitation.id,
    targetName: login,
    details: { role, expires: Math.floor(invitation.expiresAt / 1000) },
  });
  return invitation;
}
