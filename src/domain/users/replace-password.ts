import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Principal } from '../principal.js';
import type { User } from '../records.js';
import type { Store } from '../store.js';

/**
 * Stores a user's new password hash through `tx` and ends every session of theirs (W06), with the
 * audit event of the change: a new password always means that whoever held an old session signs
 * in again.
 */
export async function replacePassword(
  tx: Store,
  deps: Pick<Deps, 'clock'>,
  ctx: RequestContext,
  principal: Principal,
  user: User,
  passwordHash: string,
  action: 'password_changed' | 'password_reset',
): Promise<void> {
  await tx.setPasswordHash(user.id, passwordHash);
  const ended = await tx.deleteUserSessions(user.id);
  await recordAudit(tx, deps, ctx, principal, {
    action,
    targetType: 'user',
    targetId: user.id,
    targetName: user.login,
    details: { sessionsEnded: ended },
  });
}
