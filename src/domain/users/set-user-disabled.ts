import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { User } from '../records.js';
import { findUserOrFail } from './create-user.js';
import { requireSiteAdmin } from './site-admin.js';

/**
 * A site administrator disables or re-enables a user. Disabling ends every session of theirs at
 * once (W06); their personal tokens stop working because authentication refuses disabled users.
 * Setting the state a user already has changes nothing and records nothing.
 */
export async function setUserDisabled(deps: Deps, ctx: RequestContext, principal: Principal, login: string, disabled: boolean): Promise<User> {
  const admin = requireSiteAdmin(principal);
  const user = await findUserOrFail(deps, login);
  // Keeps at least one administrator able to sign in: the one making the change.
  if (disabled && admin && admin.id === user.id) fail('invalid_request', 'you cannot disable your own account');
  if ((user.disabledAt !== null) === disabled) return user;
  return deps.store.transaction(async (tx) => {
    const updated = (await tx.setUserDisabled(user.id, disabled ? deps.clock.now() : null)) ?? fail('user_not_found', `user '${login}' not found`);
    const ended = disabled ? await tx.deleteUserSessions(user.id) : 0;
    await recordAudit(tx, deps, ctx, principal, {
      action: disabled ? 'user_disabled' : 'user_enabled',
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      ...(disabled ? { details: { sessionsEnded: ended } } : {}),
    });
    return updated;
  });
}
