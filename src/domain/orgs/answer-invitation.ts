import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import type { UserPrincipal } from '../principal.js';
import type { Invitation } from '../records.js';
import type { Store } from '../store.js';
import { invitationPending } from './invitation-rules.js';

/**
 * Takes the invitee's pending invitation out of the store inside `tx`, or fails with
 * invitation_not_found: for someone else's invitation too, so ids reveal nothing. Deleting first
 * decides between two racing answers: only one of them finds the row.
 */
export async function takeInvitation(tx: Store, deps: Pick<Deps, 'clock'>, invitee: UserPrincipal, invitationId: string): Promise<Invitation> {
  const notFound = (): never => fail('invitation_not_found', `you have no pending invitation '${invitationId}'`);
  const invitation = (await tx.findInvitation(invitationId)) ?? notFound();
  // An invitation of an unknown login (null user id) is nobody's.
  if (invitation.userId === null || invitation.userId !== invitee.user.id) notFound();
  if (!invitationPending(invitation, deps.clock.now())) notFound();
  if (!(await tx.deleteInvitation(invitation.id))) notFound();
  return invitation;
}
