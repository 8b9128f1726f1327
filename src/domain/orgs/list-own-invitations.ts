import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { Invitation } from '../records.js';
import { requireInvitee } from './invitation-rules.js';

/** The caller's pending invitations (`GET /api/user/invitations`). */
export async function listOwnInvitations(deps: Deps, principal: Principal): Promise<Invitation[]> {
  const { user } = requireInvitee(principal);
  return deps.store.listUserInvitations(user.id, deps.clock.now());
}
