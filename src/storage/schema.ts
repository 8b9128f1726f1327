/**
 * Kysely table types: one schema for SQLite and PostgreSQL. Booleans are stored as 0/1 integers
 * and instants as integers (milliseconds for *_at columns, unix seconds for expires, last_used
 * and revoked_at), so both databases hold the same values. Row types never leave src/storage.
 */
export interface UsersTable {
  id: string;
  login: string;
  email: string;
  name: string;
  password_hash: string | null;
  site_admin: number;
  disabled_at: number | null;
  created_at: number;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface OrgMembersTable {
  org_id: string;
  user_id: string;
  role: string;
  created_at: number;
}

export interface TeamsTable {
  id: string;
  org_id: string;
  name: string;
  description: string;
  created_at: number;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: string;
  created_at: number;
}

export interface TokensTable {
  id: string;
  type: string;
  user_id: string | null;
  org_id: string | null;
  team_id: string | null;
  name: string;
  description: string;
  token_hash: string;
  display_value: string;
  admin: number;
  source: string;
  created_at: number;
  created_by: string;
  created_by_user_id: string | null;
  expires: number;
  last_used: number;
  revoked_at: number;
  oidc_issuer_id: string | null;
  oidc_issuer_name: string | null;
  oidc_subject: string | null;
  bound_org_id: string | null;
}

export interface AuditEventsTable {
  id: string;
  occurred_at: number;
  org_id: string | null;
  action: string;
  actor_user_id: string | null;
  actor_login: string | null;
  token_id: string | null;
  token_name: string | null;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  source_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: string | null;
}

/** A console session; `id_hash` is the SHA-256 (hex) of the session id, which is never stored. */
export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  password_verified_at: number;
  source_ip: string | null;
  user_agent: string | null;
}

/** At most one row (id = 1): first-run setup has been done. */
export interface SetupTable {
  id: number;
  completed_at: number;
}

/** A trusted OIDC issuer; `thumbprints` and `jwks` are JSON text. */
export interface OidcIssuersTable {
  id: string;
  org_id: string;
  name: string;
  url: string;
  issuer: string;
  thumbprints: string;
  max_expiration: number;
  jwks: string | null;
  jwks_uri: string | null;
  created_at: number;
  modified_at: number;
  last_used: number;
}

/** One issuer's policy list; `policies` is JSON text. */
export interface AuthPoliciesTable {
  id: string;
  issuer_id: string;
  version: number;
  policies: string;
  created_at: number;
  modified_at: number;
}

/** A used ID token: (issuer, jti) single use, kept until `expires_at` (unix seconds). */
export interface OidcJtiTable {
  issuer_id: string;
  jti: string;
  expires_at: number;
}

/** A pending membership invitation; `user_id` is null when the login named no user. */
export interface OrgInvitationsTable {
  id: string;
  org_id: string;
  login: string;
  user_id: string | null;
  role: string;
  invited_by: string;
  created_at: number;
  expires_at: number;
}

/** Serialises invitations of one login (see the migration 2026-12-04-member-invitations). */
export interface OrgInvitationLocksTable {
  login: string;
}

export interface Database {
  users: UsersTable;
  organizations: OrganizationsTable;
  org_members: OrgMembersTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  tokens: TokensTable;
  audit_events: AuditEventsTable;
  sessions: SessionsTable;
  setup: SetupTable;
  oidc_issuers: OidcIssuersTable;
  auth_policies: AuthPoliciesTable;
  oidc_jti: OidcJtiTable;
  org_invitations: OrgInvitationsTable;
  org_invitation_locks: OrgInvitationLocksTable;
}
