import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, RetryLaterError } from '../errors.js';
import type { Principal } from '../principal.js';
import { isKnownBrowser } from '../sessions/known-browser.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from './password.js';

/** Whom a password is checked for: the login as typed, and what the database holds for it. */
export interface PasswordSubject {
  login: string;
  userId: string | null;
  /** The stored hash; null for an unknown login or an account without a password. */
  stored: string | null;
  /** False when even the right password must be refused (unknown, no password, disabled): it then counts as a failure. */
  eligible: boolean;
  /** The known-browser cookie the request carried, if any (X08). */
  knownBrowser?: string | undefined;
}

/** Refuses with 429 and Retry-After: the throttle's answer. */
export function tooManyAttempts(seconds: number): RetryLaterError {
  const s = Math.max(1, Math.ceil(seconds));
  return new RetryLaterError('too_many_attempts', `too many failed password attempts; try again in ${s} seconds`, s);
}

/**
 * Every check of a person's password goes through here (sign-in, password change, re-authentication):
 * a place is reserved under the per-address limit, and under the per-account limit unless the
 * requester is known to the account (X08), before the hash is computed; the place is then counted
 * as a failure, or given back when the password was right (X03). The hash itself waits for one of
 * the few hashing slots (X04). Throws RetryLaterError (429, or 503 when every slot is taken);
 * otherwise returns whether the password matched (an ineligible subject's attempt counts as a
 * failure either way). The caller writes the audit event.
 */
export async function throttledPasswordCheck(deps: Deps, ctx: RequestContext, subject: PasswordSubject, password: string): Promise<boolean> {
  const throttle = deps.loginThrottle;
  const known =
    throttle.isKnownAddress(subject.login, ctx.sourceIp) ||
    (subject.userId !== null && subject.stored !== null && isKnownBrowser(subject.knownBrowser, subject.userId, subject.stored));
  const reservation = await throttle.reserve(subject.login, ctx.sourceIp, known);
  if (!reservation.ok) throw tooManyAttempts(reservation.retryAfterMs / 1000);
  const { ticket } = reservation;
  try {
    const matches = await verifyPassword(password, subject.stored ?? DUMMY_PASSWORD_HASH);
    if (!matches || !subject.eligible) ticket.fail();
    return matches;
  } finally {
    // A check that never finished (no hashing slot, an error) was not a guess: its place is freed.
    ticket.release();
  }
}

/**
 * Checks the signed-in person's current password before a sensitive change (password change,
 * re-authentication), under the same throttle as sign-in, so a stolen session or token cannot be
 * used to guess it. A wrong password is audited as `failedAction` and refused with
 * password_incorrect.
 */
export async function verifyCurrentPassword(
  deps: Deps,
  ctx: RequestContext,
  principal: Extract<Principal, { kind: 'user' }>,
  password: string,
  failedAction: string,
  knownBrowser?: string,
): Promise<void> {
  const { user } = principal;
  const stored = await deps.store.findPasswordHash(user.id);
  if (!(await throttledPasswordCheck(deps, ctx, { login: user.login, userId: user.id, stored, eligible: stored !== null, knownBrowser }, password))) {
    await recordAudit(deps.store, deps, ctx, principal, { action: failedAction, targetType: 'user', targetId: user.id, targetName: user.login });
    throw new DomainError('password_incorrect', 'the current password is wrong');
  }
}
