import { fail } from '../errors.js';
import { isOwnCredential, type Principal } from '../principal.js';
import type { User } from '../records.js';

/**
 * True when `principal` carries site-administrator power: the operator, or a site administrator
 * acting through a console session or a personal token they created themselves. An exchanged
 * token naming a site administrator never does (catalog X01), nor do organization and team tokens.
 * Every reader of `siteAdmin` goes through here.
 */
export function hasSiteAdminPower(principal: Principal): boolean {
  if (principal.kind === 'system') return true;
  return isOwnCredential(principal) && principal.user.siteAdmin;
}

/**
 * The site administrator behind `principal`, or a forbidden error. Only a person (by session or
 * a personal token of their own) or the operator qualifies.
 */
export function requireSiteAdmin(principal: Principal): User | null {
  if (principal.kind === 'system') return null;
  if (hasSiteAdminPower(principal) && principal.kind === 'user') return principal.user;
  return fail('forbidden', 'only site administrators may manage users, through a console session or a personal token they created');
}
