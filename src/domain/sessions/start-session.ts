import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import type { SessionRecord, User } from '../records.js';
import type { Store } from '../store.js';
import { csrfTokenFor, hashSessionId, newSessionId } from './session-id.js';

/** A session just begun: the id (for the cookie, and nothing else) and its CSRF token. */
export interface StartedSession {
  sessionId: string;
  csrfToken: string;
  session: SessionRecord;
}

/**
 * Begins a session for `user` through `tx`, the caller's transaction, and records
 * `session_created` in it. Always a new id: a session is never carried over from before sign-in
 * (fixation, W02). Sessions that have timed out are swept at the same time, so the table holds
 * only live sessions and a few dead ones.
 */
export async function startSession(tx: Store, deps: Pick<Deps, 'clock' | 'config'>, ctx: RequestContext, user: User): Promise<StartedSession> {
  const now = deps.clock.now();
  const sessionId = newSessionId();
  const session: SessionRecord = {
    idHash: hashSessionId(sessionId),
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + deps.config.sessionMaxAgeSeconds * 1000,
    // Every way to begin a session proves the password (sign-in, setup, password change).
    passwordVerifiedAt: now,
    sourceIp: ctx.sourceIp,
    userAgent: ctx.userAgent,
  };
  await tx.deleteExpiredSessions(now, now - deps.config.sessionIdleTimeoutSeconds * 1000);
  await tx.insertSession(session);
  await recordAudit(tx, deps, ctx, { kind: 'user', user, token: null }, {
    action: 'session_created',
    targetType: 'user',
    targetId: user.id,
    targetName: user.login,
    // A short prefix of the id's hash ties sign-in and sign-out together without revealing the id.
    details: { session: sessionRef(session.idHash) },
  });
  return { sessionId, csrfToken: csrfTokenFor(sessionId), session };
}

/** How audit events refer to a session: the first 12 hex digits of the id's SHA-256. */
export function sessionRef(idHash: string): string {
  return idHash.slice(0, 12);
}
