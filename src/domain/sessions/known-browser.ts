import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Accounts one browser is remembered for; the oldest drops out past this. */
const MAX_ACCOUNTS = 5;
/** One entry: an HMAC-SHA-256 in base64url. */
const ENTRY = /^[A-Za-z0-9_-]{43}$/;

/**
 * The mark a browser keeps after signing in to an account, so the per-account sign-in limit does not
 * apply to it (X08). Like the CSRF token (session-id.ts) it is an HMAC that needs no storage: keyed
 * with a secret only the server holds — here the account's stored password hash, which every node
 * reads from the database — over the user id. Nobody without that hash can make one, it is the same
 * on every node and after a restart, and it stops counting when the password changes.
 */
export function knownBrowserMark(userId: string, passwordHash: string): string {
  return createHmac('sha256', passwordHash).update(`tessera known browser v1\0${userId}`).digest('base64url');
}

/** The marks a cookie value holds (dot-separated); malformed entries are ignored. */
function marks(cookie: string | undefined): string[] {
  if (cookie === undefined) return [];
  return cookie
    .split('.')
    .filter((m) => ENTRY.test(m))
    .slice(0, MAX_ACCOUNTS);
}

/** Whether the cookie value marks the browser as having signed in to the account. Constant time per entry. */
export function isKnownBrowser(cookie: string | undefined, userId: string, passwordHash: string): boolean {
  const expected = createHash('sha256').update(knownBrowserMark(userId, passwordHash)).digest();
  let found = false;
  for (const m of marks(cookie)) found = timingSafeEqual(createHash('sha256').update(m).digest(), expected) || found;
  return found;
}

/** The cookie value after a sign-in to the account: its mark first, then up to four other accounts' marks. */
export function withKnownBrowser(cookie: string | undefined, userId: string, passwordHash: string): string {
  const mark = knownBrowserMark(userId, passwordHash);
  return [mark, ...marks(cookie).filter((m) => m !== mark)].slice(0, MAX_ACCOUNTS).join('.');
}
