import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, RetryLaterError } from '../errors.js';
import type { Principal } from '../principal.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from './password.js';

/**
 * Checks a signed-in person's current password (a password change, a re-authentication) under the
 * sign-in throttle: a refusal counts against the account and the address exactly like a failed
 * sign-in, so a stolen session or token cannot be used to guess the password. The one place these
 * checks touch the throttle. A failure is audited as `failedAction` and refused with
 * password_incorrect.
 */
export async function verifyCurrentPassword(
  deps: Deps,
  ctx: RequestContext,
  principal: Extract<Principal, { kind: 'user' }>,
  password: string,
  failedAction: string,
): Promise<void> {
  const { user } = principal;
  const wait = deps.loginThrottle.retryAfterSeconds(user.login, ctx.sourceIp);
  if (wait > 0) throw new RetryLaterError('too_many_attempts', `too many failed password checks; try again in ${wait} seconds`, wait);
  const stored = await deps.store.findPasswordHash(user.id);
  // An account without a password costs the same work as a wrong one.
  const matches = await verifyPassword(password, stored ?? DUMMY_PASSWORD_HASH);
  if (stored === null || !matches) {
    deps.loginThrottle.recordFailure(user.login, ctx.sourceIp);
    await recordAudit(deps.store, deps, ctx, principal, { action: failedAction, targetType: 'user', targetId: user.id, targetName: user.login });
    throw new DomainError('password_incorrect', 'the current password is wrong');
  }
}
