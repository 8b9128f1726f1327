import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError } from '../errors.js';
import type { User } from '../records.js';
import { throttledPasswordCheck, tooManyAttempts } from '../users/check-password.js';
import { withKnownBrowser } from './known-browser.js';
import { hashSessionId, isSessionIdShaped } from './session-id.js';
import { startSession, type StartedSession } from './start-session.js';

export interface LoginInput {
  login: string;
  password: string;
  /** The session id the browser presented with the sign-in, if any; it is ended (W02). */
  presentedSessionId?: string;
  /** The known-browser cookie the browser presented, if any (X08). */
  knownBrowser?: string;
}

export interface LoginResult extends StartedSession {
  user: User;
  /** The known-browser cookie's new value: this account added to it. */
  knownBrowser: string;
}

/** One message for every failure, so the reply does not say which logins exist. */
const FAILED = 'the login or password is wrong';

/**
 * Signs a person in with login and password and begins a session. Failures are throttled per
 * account and per address (W07), counting attempts in flight (X03); the per-account limit spares
 * addresses and browsers that signed in to the account before (X08). Unknown logins, accounts
 * without a password and disabled accounts cost the same password check as a wrong password and
 * get the same answer.
 */
export async function login(deps: Deps, ctx: RequestContext, input: LoginInput): Promise<LoginResult> {
  // An address already refused is answered before anything is read.
  const addressWait = deps.loginThrottle.addressRetryAfterSeconds(ctx.sourceIp);
  if (addressWait > 0) throw tooManyAttempts(addressWait);

  const user = await deps.store.findUserByLogin(input.login);
  const stored = user ? await deps.store.findPasswordHash(user.id) : null;
  const refusalBefore = !user ? 'unknown_login' : stored === null ? 'no_password' : user.disabledAt !== null ? 'disabled' : null;
  // Refused before the password is checked when locked: even the right password does not help.
  const matches = await throttledPasswordCheck(
    deps,
    ctx,
    { login: input.login, userId: user?.id ?? null, stored, eligible: refusalBefore === null, knownBrowser: input.knownBrowser },
    input.password,
  );
  if (!matches || refusalBefore !== null || !user || stored === null) {
    const refusal = refusalBefore === 'disabled' && !matches ? 'wrong_password' : (refusalBefore ?? 'wrong_password');
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
  deps.loginThrottle.recordSignIn(input.login, ctx.sourceIp);
  const knownBrowser = withKnownBrowser(input.knownBrowser, user.id, stored);
  return deps.store.transaction(async (tx) => {
    const presented = input.presentedSessionId;
    if (presented !== undefined && isSessionIdShaped(presented)) await tx.deleteSession(hashSessionId(presented));
    return { user, knownBrowser, ...(await startSession(tx, deps, ctx, user)) };
  });
}
