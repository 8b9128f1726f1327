import type { AuditEvent, OrgRole, Organization, Team, TeamRole, TokenRecord, TokenSource, User } from '../domain/records.js';
import type { TokenType } from '../domain/tokens/token-format.js';
import type { AuditEventsTable, OrganizationsTable, TeamsTable, TokensTable, UsersTable } from './schema.js';
import type { SessionRecord } from '../domain/records.js';
import type { SessionsTable } from './schema.js';
import type { AuthPolicy, OidcIssuer } from '../domain/records.js';
import type { AuthPoliciesTable, OidcIssuersTable } from './schema.js';
import type { Invitation } from '../domain/records.js';
import type { OrgInvitationsTable } from './schema.js';

/** One mapper per table between rows and domain records. */
/** Password hashes stay in storage: the User record never carries one. */
export function userFromRow(r: Omit<UsersTable, 'password_hash'>): User {
  return {
    id: r.id,
    login: r.login,
    email: r.email,
    name: r.name,
    siteAdmin: r.site_admin === 1,
    disabledAt: r.disabled_at,
    createdAt: r.created_at,
  };
}

export function userToRow(u: User, passwordHash: string | null): UsersTable {
  return {
    id: u.id,
    login: u.login,
    email: u.email,
    name: u.name,
    password_hash: passwordHash,
    site_admin: u.siteAdmin ? 1 : 0,
    disabled_at: u.disabledAt,
    created_at: u.createdAt,
  };
}

export function orgFromRow(r: OrganizationsTable): Organization {
  return { id: r.id, name: r.name, createdAt: r.created_at };
}

export function teamFromRow(r: TeamsTable): Team {
  return { id: r.id, orgId: r.org_id, name: r.name, description: r.description, createdAt: r.created_at };
}

export function teamToRow(t: Team): TeamsTable {
  return { id: t.id, org_id: t.orgId, name: t.name, description: t.description, created_at: t.createdAt };
}

export const orgRole = (role: string): OrgRole => (role === 'admin' ? 'admin' : 'member');
export const teamRole = (role: string): TeamRole => (role === 'maintainer' ? 'maintainer' : 'member');

export function tokenFromRow(r: TokensTable): TokenRecord {
  return {
    id: r.id,
    type: r.type as TokenType,
    userId: r.user_id,
    orgId: r.org_id,
    teamId: r.team_id,
    name: r.name,
    description: r.description,
    tokenHash: r.token_hash,
    displayValue: r.display_value,
    admin: r.admin === 1,
    source: r.source as TokenSource,
    createdAt: r.created_at,
    createdBy: r.created_by,
    createdByUserId: r.created_by_user_id,
    expires: r.expires,
    lastUsed: r.last_used,
    revokedAt: r.revoked_at,
    oidc:
      r.oidc_issuer_id && r.oidc_issuer_name && r.oidc_subject !== null
        ? { issuerId: r.oidc_issuer_id, issuerName: r.oidc_issuer_name, subject: r.oidc_subject }
        : null,
    boundOrgId: r.bound_org_id ?? null,
  };
}

export function tokenToRow(t: TokenRecord): TokensTable {
  return {
    id: t.id,
    type: t.type,
    user_id: t.userId,
    org_id: t.orgId,
    team_id: t.teamId,
    name: t.name,
    description: t.description,
    token_hash: t.tokenHash,
    display_value: t.displayValue,
    admin: t.admin ? 1 : 0,
    source: t.source,
    created_at: t.createdAt,
    created_by: t.createdBy,
    created_by_user_id: t.createdByUserId,
    expires: t.expires,
    last_used: t.lastUsed,
    revoked_at: t.revokedAt,
    oidc_issuer_id: t.oidc?.issuerId ?? null,
    oidc_issuer_name: t.oidc?.issuerName ?? null,
    oidc_subject: t.oidc?.subject ?? null,
    bound_org_id: t.boundOrgId,
  };
}

export function auditToRow(e: AuditEvent): AuditEventsTable {
  return {
    id: e.id,
    occurred_at: e.occurredAt,
    org_id: e.orgId,
    action: e.action,
    actor_user_id: e.actorUserId,
    actor_login: e.actorLogin,
    token_id: e.tokenId,
    token_name: e.tokenName,
    target_type: e.targetType,
    target_id: e.targetId,
    target_name: e.targetName,
    source_ip: e.sourceIp,
    user_agent: e.userAgent,
    request_id: e.requestId,
    details: e.details === null ? null : JSON.stringify(e.details),
  };
}

export function auditFromRow(r: AuditEventsTable): AuditEvent {
  return {
    id: r.id,
    occurredAt: r.occurred_at,
    orgId: r.org_id,
    action: r.action,
    actorUserId: r.actor_user_id,
    actorLogin: r.actor_login,
    tokenId: r.token_id,
    tokenName: r.token_name,
    targetType: r.target_type,
    targetId: r.target_id,
    targetName: r.target_name,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
  };
}

// sessions and accounts

export function sessionFromRow(r: SessionsTable): SessionRecord {
  return {
    idHash: r.id_hash,
    userId: r.user_id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    passwordVerifiedAt: r.password_verified_at,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
  };
}

export function sessionToRow(s: SessionRecord): SessionsTable {
  return {
    id_hash: s.idHash,
    user_id: s.userId,
    created_at: s.createdAt,
    last_seen_at: s.lastSeenAt,
    expires_at: s.expiresAt,
    password_verified_at: s.passwordVerifiedAt,
    source_ip: s.sourceIp,
    user_agent: s.userAgent,
  };
}

// oidc issuers and policies

export function issuerFromRow(r: OidcIssuersTable): OidcIssuer {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    url: r.url,
    issuer: r.issuer,
    thumbprints: JSON.parse(r.thumbprints) as string[],
    maxExpiration: Number(r.max_expiration),
    jwks: r.jwks === null ? null : (JSON.parse(r.jwks) as Record<string, unknown>),
    jwksUri: r.jwks_uri,
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
    lastUsed: Number(r.last_used),
  };
}

export function issuerToRow(i: OidcIssuer): OidcIssuersTable {
  return {
    id: i.id,
    org_id: i.orgId,
    name: i.name,
    url: i.url,
    issuer: i.issuer,
    thumbprints: JSON.stringify(i.thumbprints),
    max_expiration: i.maxExpiration,
    jwks: i.jwks === null ? null : JSON.stringify(i.jwks),
    jwks_uri: i.jwksUri,
    created_at: i.createdAt,
    modified_at: i.modifiedAt,
    last_used: i.lastUsed,
  };
}

export function authPolicyFromRow(r: AuthPoliciesTable): AuthPolicy {
  return {
    id: r.id,
    issuerId: r.issuer_id,
    version: Number(r.version),
    policies: JSON.parse(r.policies) as unknown[],
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
  };
}

export function authPolicyToRow(p: AuthPolicy): AuthPoliciesTable {
  return {
    id: p.id,
    issuer_id: p.issuerId,
    version: p.version,
    policies: JSON.stringify(p.policies),
    created_at: p.createdAt,
    modified_at: p.modifiedAt,
  };
}

// membership invitations

export function invitationFromRow(r: OrgInvitationsTable & { org_name: string }): Invitation {
  return {
    id: r.id,
    orgId: r.org_id,
    orgName: r.org_name,
    login: r.login,
    userId: r.user_id,
    role: orgRole(r.role),
    invitedBy: r.invited_by,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
}

export function invitationToRow(i: Invitation): OrgInvitationsTable {
  return { id: i.id, org_id: i.orgId, login: i.login, user_id: i.userId, role: i.role, invited_by: i.invitedBy, created_at: i.createdAt, expires_at: i.expiresAt };
}
