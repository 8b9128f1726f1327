import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import type { SessionRecord, User } from '../records.js';
import { sessionRef } from './start-session.js';

/** Ends a session (sign-out): it is deleted server-side, so a copy of the cookie is dead too (W03). */
export async function logout(deps: Deps, ctx: RequestContext, user: User, session: SessionRecord): Promise<void> {
  await deps.store.transaction(async (tx) => {
    if (!(await tx.deleteSession(session.idHash))) return;
    await recordAudit(tx, deps, ctx, { kind: 'user', user, token: null }, {
      action: 'session_deleted',
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { session: sessionRef(session.idHash) },
    });
  });
}
