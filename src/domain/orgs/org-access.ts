import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import { isOwnCredential, type Principal } from '../principal.js';
import type { Organization, Team } from '../records.js';

/** What a principal may do in one organization. */
export interface OrgAccess {
  org: Organization;
  /** Admin rights: an admin member, an admin organization token, or the operator. */
  admin: boolean;
  /** True when the caller is a person (or the operator) rather than an organization or team token. */
  person: boolean;
}

/**
 * Resolves the caller's standing in `orgName`. Organizations the caller does not belong to are
 * reported as not found, never forbidden, so their existence does not leak. Membership is read on
 * every call, so a removed member loses access on their next request.
 */
export async function orgAccess(deps: Deps, principal: Principal, orgName: string): Promise<OrgAccess> {
  const notFound = (): never => fail('org_not_found', `organization '${orgName}' not found`);
  switch (principal.kind) {
    case 'system': {
      const org = (await deps.store.findOrgByName(orgName)) ?? notFound();
      return { org, admin: true, person: true };
    }
    case 'user': {
      const org = (await deps.store.findOrgByName(orgName)) ?? notFound();
      // An exchanged personal token reaches only the organization that minted it (catalog X01);
      // every other one is a stranger's, whatever the person's memberships.
      const bound = principal.token?.boundOrgId ?? null;
      if (bound !== null && bound !== org.id) notFound();
      const role = (await deps.store.findMemberRole(org.id, principal.user.id)) ?? notFound();
      return { org, admin: role === 'admin', person: true };
    }
    case 'organization':
      if (principal.org.name !== orgName) notFound();
      return { org: principal.org, admin: principal.token.admin, person: false };
    case 'team':
      if (principal.org.name !== orgName) notFound();
      return { org: principal.org, admin: false, person: false };
  }
}

/** Like orgAccess, and additionally requires admin rights (403 otherwise). */
export async function orgAdminAccess(deps: Deps, principal: Principal, orgName: string): Promise<OrgAccess> {
  const access = await orgAccess(deps, principal, orgName);
  if (!access.admin) fail('forbidden', `only organization admins may do this in '${orgName}'`);
  return access;
}

/**
 * Like orgAdminAccess, for the persons-only actions of API.md section 5 (catalog X02): managing
 * OIDC issuers and auth policies, inviting, promoting, demoting or removing members, listing and
 * canceling invitations. An organization admin acting through a console session or a personal
 * token they created themselves qualifies; organization and team tokens never do, whatever their
 * flags (a leaked CI token must not be able to mint credentials forever or take over the
 * membership), nor do tokens minted by token exchange.
 */
export async function orgPersonAdminAccess(deps: Deps, principal: Principal, orgName: string, what: string): Promise<OrgAccess> {
  const access = await orgAdminAccess(deps, principal, orgName);
  if (principal.kind !== 'system' && !isOwnCredential(principal)) {
    fail('forbidden', `only organization admins, as persons (console session or their own personal token), may ${what}; organization, team and exchanged tokens may not`);
  }
  return access;
}

/** Finds a team of an organization the caller may already see. */
export async function findTeamOrFail(deps: Deps, org: Organization, teamName: string): Promise<Team> {
  return (await deps.store.findTeam(org.id, teamName)) ?? fail('team_not_found', `team '${teamName}' not found`);
}
