import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Principal } from '../principal.js';
import { findUserOrFail } from './create-user.js';
import { checkNewPassword, hashPassword } from './password.js';
import { requireSiteAdmin } from './site-admin.js';

/**
 * A site administrator sets another user's password (for example, one who forgot theirs). Every
 * session of that user ends, and the account's failed sign-in count is cleared.
 */
export async function resetPassword(deps: Deps, ctx: RequestContext, principal: Principal, login: string, password: string): Promise<void> {
  requireSiteAdmin(principal);
  const user = await findUserOrFail(deps, login);
  checkNewPassword(password);
  const passwordHash = await hashPassword(password);
  await deps.store.transaction(async (tx) => {
    await tx.setPasswordHash(user.id, passwordHash);
    const ended = await tx.deleteUserSessions(user.id);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'password_reset',
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { sessionsEnded: ended },
    });
  });
  deps.loginThrottle.recordSuccess(user.login);
}
