import type { Deps } from '../deps.js';
import type { Principal } from '../principal.js';
import type { OrgRole } from '../records.js';
import type { TokenType } from '../tokens/token-format.js';
import { hasSiteAdminPower } from './site-admin.js';

export interface CallerOrganization {
  name: string;
  role: OrgRole;
}

/** What `GET /api/user` reports about the caller. */
export interface CallerDescription {
  id: string;
  login: string;
  name: string;
  email: string;
  siteAdmin: boolean;
  organizations: CallerOrganization[];
  tokenInfo?: { name: string; organization: string; team: string };
  /** `organization`: the organization an exchanged personal token is bound to. */
  token?: { id: string; type: TokenType; expires: number; organization?: string };
}

/**
 * Describes the caller. For organization and team tokens the login is the organization's name, as
 * Pulumi does, and `tokenInfo` names the token, organization and team.
 */
export async function describeCaller(deps: Deps, principal: Principal): Promise<CallerDescription> {
  switch (principal.kind) {
    case 'system':
      return { id: 'system', login: 'system', name: 'system', email: '', siteAdmin: true, organizations: [] };
    case 'user': {
      const { user, token } = principal;
      const bound = token?.boundOrgId ?? null;
      // A bound (exchanged) token sees only its organization; it never gets `tokenInfo`, which
      // Pulumi clients read as "not a personal token", but `token.organization` instead.
      const memberships = (await deps.store.listMemberships(user.id)).filter((m) => bound === null || m.org.id === bound);
      const organization = bound !== null ? principal.boundOrg?.name : undefined;
      return {
        id: user.id,
        login: user.login,
        name: user.name,
        email: user.email,
        siteAdmin: hasSiteAdminPower(principal),
        organizations: memberships.map((m) => ({ name: m.org.name, role: m.role })),
        ...(token ? { token: { id: token.id, type: token.type, expires: token.expires, ...(organization !== undefined ? { organization } : {}) } } : {}),
      };
    }
    case 'organization':
    case 'team': {
      const { org, token } = principal;
      const team = principal.kind === 'team' ? principal.team.name : '';
      return {
        id: principal.kind === 'team' ? principal.team.id : org.id,
        login: org.name,
        name: principal.kind === 'team' ? principal.team.name : org.name,
        email: '',
        siteAdmin: false,
        organizations: [{ name: org.name, role: principal.kind === 'organization' && token.admin ? 'admin' : 'member' }],
        tokenInfo: { name: token.name, organization: org.name, team },
        token: { id: token.id, type: token.type, expires: token.expires },
      };
    }
  }
}
