import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import { isOwnCredential, type Principal } from '../principal.js';
import type { Organization, Team, TokenScope, User } from '../records.js';
import { findTeamOrFail, orgAccess } from '../orgs/org-access.js';

/** Where a token operation applies, as named in the URL. */
export type TokenTarget =
  | { type: 'personal' }
  | { type: 'organization'; org: string }
  | { type: 'team'; org: string; team: string };

export type TokenAction = 'list' | 'create' | 'delete';

/** The resolved scope, with the objects a new token will belong to. */
export interface AuthorizedScope {
  scope: TokenScope;
  user: User | null;
  org: Organization | null;
  team: Team | null;
}

/**
 * The permission table of API.md section 5, in one place:
 * - personal tokens: the person themselves; organization and team tokens get 403;
 * - organization tokens: admins (person) may do everything; an admin organization token may list;
 * - team tokens: admins (person or admin organization token) and the team's maintainers (person);
 * - any organization the caller does not belong to: 404.
 */
export async function authorizeTokenScope(
  deps: Deps,
  principal: Principal,
  target: TokenTarget,
  action: TokenAction,
): Promise<AuthorizedScope> {
  if (target.type === 'personal') {
    if (principal.kind !== 'user') fail('forbidden', 'personal tokens can only be managed by their owner');
    // An exchanged token must not mint or revoke its owner's tokens: it would escape its binding.
    if (!isOwnCredential(principal)) fail('forbidden', 'personal tokens are managed through a console session or a personal token you created, not an exchanged token');
    return { scope: { type: 'personal', userId: principal.user.id }, user: principal.user, org: null, team: null };
  }
  const access = await orgAccess(deps, principal, target.org);
  if (target.type === 'organization') {
    const allowed = access.admin && (access.person || action === 'list');
    if (!allowed) fail('forbidden', `only organization admins may ${action} organization tokens`);
    return { scope: { type: 'organization', orgId: access.org.id }, user: null, org: access.org, team: null };
  }
  const team = await findTeamOrFail(deps, access.org, target.team);
  let allowed = access.admin;
  if (!allowed && principal.kind === 'user') {
    allowed = (await deps.store.findTeamRole(team.id, principal.user.id)) === 'maintainer';
  }
  if (!allowed) fail('forbidden', `only organization admins and the team's maintainers may ${action} team tokens`);
  return { scope: { type: 'team', teamId: team.id }, user: null, org: access.org, team };
}
