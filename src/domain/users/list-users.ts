import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { User } from '../records.js';
import { requireSiteAdmin } from './site-admin.js';

/** Every user, by login. Site administrators only. */
export async function listUsers(deps: Deps, principal: Principal): Promise<User[]> {
  requireSiteAdmin(principal);
  return deps.store.listUsers();
}
