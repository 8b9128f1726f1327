import { timingSafeEqual } from 'node:crypto';
import type { Deps } from '../deps.js';
import { DomainError } from '../errors.js';
import type { SessionRecord, User } from '../records.js';
import { hashSessionId, isSessionIdShaped } from './session-id.js';

/** last_seen_at is written at most this often per session, not on every request. */
export const TOUCH_INTERVAL_MS = 60_000;

const ENDED = 'the session is missing or has ended; sign in again';

export interface SessionAuth {
  user: User;
  session: SessionRecord;
}

/**
 * Resolves a session id from a cookie to its live session and user, enforcing the absolute and
 * idle timeouts server-side against the injected clock (W03) and refusing disabled users. A dead
 * session is deleted on sight. Activity is recorded at most once a minute per session, so a busy
 * console does not cost a database write per request; the idle timeout may therefore end a
 * session up to a minute early, never late.
 */
export async function authenticateSession(deps: Deps, sessionId: string): Promise<SessionAuth> {
  if (!isSessionIdShaped(sessionId)) throw new DomainError('session_invalid', ENDED);
  const idHash = hashSessionId(sessionId);
  const found = await deps.store.findSession(idHash);
  if (!found || !timingSafeEqual(Buffer.from(found.session.idHash, 'hex'), Buffer.from(idHash, 'hex'))) {
    throw new DomainError('session_invalid', ENDED);
  }
  const { session, user } = found;
  const now = deps.clock.now();
  const idle = now - session.lastSeenAt >= deps.config.sessionIdleTimeoutSeconds * 1000;
  if (now >= session.expiresAt || idle || user.disabledAt !== null) {
    await deps.store.deleteSession(idHash);
    throw new DomainError('session_invalid', ENDED);
  }
  if (now - session.lastSeenAt >= TOUCH_INTERVAL_MS) {
    await deps.store.touchSession(idHash, now);
    return { user, session: { ...session, lastSeenAt: now } };
  }
  return { user, session };
}
