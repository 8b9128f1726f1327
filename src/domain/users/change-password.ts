import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import { isOwnCredential, type Principal } from '../principal.js';
import type { SessionRecord } from '../records.js';
import { startSession, type StartedSession } from '../sessions/start-session.js';
import { replacePassword } from './replace-password.js';
import { verifyCurrentPassword } from './check-password.js';
import { checkNewPassword, hashPassword } from './password.js';

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  /** The session the change was made in, if it was made in one: it continues under a new id. */
  session?: SessionRecord;
  /** The known-browser cookie the request carried, if any (X08). */
  knownBrowser?: string;
}

/**
 * A person changes their own password, proving the current one. Every session of theirs ends
 * (W06); the session the change was made in continues under a new id, returned here for the
 * cookie. Failed checks of the current password count against the account like failed sign-ins,
 * so a stolen session cannot be used to guess it.
 */
export async function changePassword(deps: Deps, ctx: RequestContext, principal: Principal, input: ChangePasswordInput): Promise<StartedSession | null> {
  if (principal.kind !== 'user') fail('forbidden', 'only a person can change their password, not a token of an organization or team');
  if (!isOwnCredential(principal)) fail('forbidden', 'a token minted by token exchange cannot change a password');
  const { user } = principal;
  checkNewPassword(input.newPassword, 'newPassword');
  await verifyCurrentPassword(deps, ctx, principal, input.currentPassword, 'password_change_failed', input.knownBrowser);
  const passwordHash = await hashPassword(input.newPassword);
  return deps.store.transaction(async (tx) => {
    await replacePassword(tx, deps, ctx, principal, user, passwordHash, 'password_changed');
    return input.session ? startSession(tx, deps, ctx, user) : null;
  });
}
