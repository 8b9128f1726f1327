import { fail } from '../errors.js';
import { isOwnCredential, type Principal, type UserPrincipal } from '../principal.js';
import type { Invitation } from '../records.js';

/** Invitations expire after 7 days (API.md section 5). */
export const INVITATION_LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** At most this many invitations may be pending for one login. */
export const MAX_PENDING_INVITATIONS = 20;

/**
 * The invitee acting on their own invitations: a person through a console session or a personal
 * token they created themselves. Exchanged tokens (whose holder is not necessarily the person they
 * name: catalog X01), organization and team tokens get 403.
 */
export function requireInvitee(principal: Principal): UserPrincipal {
  if (!isOwnCredential(principal)) {
    fail('forbidden', 'invitations are answered by the invitee, through a console session or a personal token they created; not with an exchanged, organization or team token');
  }
  return principal;
}

/** True while the invitation may be accepted. */
export function invitationPending(invitation: Invitation, nowMs: number): boolean {
  return invitation.expiresAt > nowMs;
}
