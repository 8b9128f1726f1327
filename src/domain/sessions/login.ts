import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, RetryLaterError } from '../errors.js';
import type { User } from '../records.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../users/password.js';
import { hashSessionId, isSessionIdShaped } from './session-id.js';
import { startSession, type StartedSession } from './start-session.js';

export interface LoginInput {
  login: string;
  password: string;
  /** The session id the browser presented with the sign-in, if any; it is ended (W02). */
  presentedSessionId?: string;
}

export interface LoginResult extends StartedSession {
  user: User;
}

/** One message for every failure, so the reply does not say which logins exist. */
const FAILED = 'the login or password is wrong';

/**
 * Signs a person in with login and password and begins a session. Failures are throttled per
 * account and per address (W07); unknown logins, accounts without a password and disabled
 * accounts cost the same password check as a wrong password and get the same answer.
 */
export async function login(deps: Deps, ctx: RequestContext, input: LoginInput): Promise<LoginResult> {
  const wait = deps.loginThrottle.retryAfterSeconds(input.login, ctx.sourceIp);
  // Refused before the password is checked: while locked, even the right password does not help.
  if (wait > 0) throw new RetryLaterError('too_many_attempts', `too many failed sign-in attempts; try again in ${wait} seconds`, wait);

  const user = await deps.store.findUserByLogin(input.login);
  const stored = user ? await deps.store.findPasswordHash(user.id) : null;
  const matches = await verifyPassword(input.password, stored ?? DUMMY_PASSWORD_HASH);
  const refusal = !user ? 'unknown_login' : stored === null ? 'no_password' : !matches ? 'wrong_password' : user.disabledAt !== null ? 'disabled' : null;
  if (refusal !== null || !user) {
    deps.loginThrottle.recordFailure(input.login, ctx.sourceIp);
    // The attempted login is recorded (an admin wants to see stuffing); the password never is.
    await recordAudit(deps.store, deps, ctx, null, {
      action: 'login_failed',
      targetType: 'user',
      targetId: user?.id ?? null,
      targetName: input.login,
      details: { reason: refusal },
    });
    throw new DomainError('login_failed', FAILED);
  }
  deps.loginThrottle.recordSuccess(input.login);
  return deps.store.transaction(async (tx) => {
    const presented = input.presentedSessionId;
    if (presented !== undefined && isSessionIdShaped(presented)) await tx.deleteSession(hashSessionId(presented));
    return { user, ...(await startSession(tx, deps, ctx, user)) };
  });
}
