import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError } from '../errors.js';
import type { SessionRecord, User } from '../records.js';
import { verifyCurrentPassword } from '../users/check-password.js';
import { sessionRef } from './start-session.js';

/**
 * Proves the password again in a console session (W08), so sensitive actions are allowed through
 * it for the next `REAUTHENTICATION_WINDOW_MS`. A wrong password counts against the sign-in
 * throttle and is audited as `reauthentication_failed`; a right one as `session_reauthenticated`.
 * The session keeps its id: nothing about who holds it has changed.
 */
export async function reauthenticate(deps: Deps, ctx: RequestContext, user: User, session: SessionRecord, password: string): Promise<void> {
  const principal = { kind: 'user', user, token: null } as const;
  await verifyCurrentPassword(deps, ctx, principal, password, 'reauthentication_failed');
  await deps.store.transaction(async (tx) => {
    // The session may have ended (sign-out elsewhere, password change) while the hash was checked.
    if (!(await tx.markSessionPasswordVerified(session.idHash, deps.clock.now()))) {
      throw new DomainError('session_invalid', 'the session is missing or has ended; sign in again');
    }
    await recordAudit(tx, deps, ctx, principal, {
      action: 'session_reauthenticated',
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { session: sessionRef(session.idHash) },
    });
  });
}
