import type { Deps, RequestContext } from '../deps.js';
import type { Principal } from '../principal.js';
import { findUserOrFail } from './create-user.js';
import { checkNewPassword, hashPassword } from './password.js';
import { replacePassword } from './replace-password.js';
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
  await deps.store.transaction((tx) => replacePassword(tx, deps, ctx, principal, user, passwordHash, 'password_reset'));
  deps.loginThrottle.recordSuccess(user.login);
}
