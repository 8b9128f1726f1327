import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { User } from '../records.js';

/**
 * The site administrator behind `principal`, or a forbidden error. Only a person (by session or
 * personal token) or the operator qualifies; organization and team tokens never do.
 */
export function requireSiteAdmin(principal: Principal): User | null {
  if (principal.kind === 'system') return null;
  if (principal.kind === 'user' && principal.user.siteAdmin) return principal.user;
  return fail('forbidden', 'only site administrators may manage users');
}
