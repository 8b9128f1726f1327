import { createHash, createHmac, timingSafeEqual, randomBytes } from 'node:crypto';

/** 32 random bytes in base64url: 43 characters. */
const SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * A new session id: 256 bits from the CSPRNG (OWASP asks for at least 64), with no meaning of its
 * own. It goes into the cookie and nowhere else; the database keeps only its hash.
 */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** True when `value` could be a session id; anything else is refused before any lookup. */
export function isSessionIdShaped(value: string): boolean {
  return SHAPE.test(value);
}

/** SHA-256 of the id, hex: the session's primary key. A fast hash suffices for 256 random bits. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/**
 * The session's CSRF token: an HMAC of a fixed label keyed with the session id. It is bound to the
 * session (a token from another session never matches), stable for the session's life (every tab
 * of the console can use it), and reveals nothing about the id, so page script may hold it while
 * the id stays in an HttpOnly cookie. Nothing about it needs storing.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('tessera csrf v1').digest('base64url');
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfTokenMatches(sessionId: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  // Hash both sides so the comparison has equal lengths whatever was sent.
  const a = createHash('sha256').update(csrfTokenFor(sessionId)).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
