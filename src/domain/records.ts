import type { TokenType } from './tokens/token-format.js';

/** Domain records: what the rules work with. Storage maps its rows to these, one mapper per table. */
export interface User {
  id: string;
  login: string;
  email: string;
  name: string;
  siteAdmin: boolean;
  disabledAt: number | null;
  createdAt: number;
}

export type OrgRole = 'admin' | 'member';
export type TeamRole = 'maintainer' | 'member';

export interface Organization {
  id: string;
  name: string;
  createdAt: number;
}

export interface Team {
  id: string;
  orgId: string;
  name: string;
  description: string;
  createdAt: number;
}

export type TokenSource = 'console' | 'api' | 'cli' | 'oidc' | 'rotation';

export interface OidcOrigin {
  issuerId: string;
  issuerName: string;
  subject: string;
}

export interface TokenRecord {
  id: string;
  type: TokenType;
  userId: string | null;
  orgId: string | null;
  teamId: string | null;
  name: string;
  description: string;
  tokenHash: string;
  displayValue: string;
  admin: boolean;
  source: TokenSource;
  /** Milliseconds since the epoch. */
  createdAt: number;
  createdBy: string;
  createdByUserId: string | null;
  /** Unix seconds; 0 = never. */
  expires: number;
  /** Unix seconds; 0 = never used. */
  lastUsed: number;
  /** Unix seconds; 0 = not revoked. */
  revokedAt: number;
  oidc: OidcOrigin | null;
  /**
   * The organization a personal token minted by token exchange is bound to (API.md section 5):
   * it reaches that organization only and never carries site-administrator power. Null for every
   * other token. Kept apart from `orgId`, which says who owns a token and keys the name index.
   */
  boundOrgId: string | null;
}

/** A token together with what it belongs to, as read for authentication in one query. */
export interface Credential {
  token: TokenRecord;
  user: User | null;
  org: Organization | null;
  team: Team | null;
  /** The organization a bound personal token is bound to (TokenRecord.boundOrgId), when it still exists. */
  boundOrg: Organization | null;
}

export interface Member {
  user: User;
  role: OrgRole;
}

export interface TeamMember {
  user: User;
  role: TeamRole;
}

export interface OrgMembership {
  org: Organization;
  role: OrgRole;
}

/**
 * A pending invitation to join an organization (API.md section 5). `userId` is null when no user
 * had the login at invitation time: such an invitation is listed like any other, so admins cannot
 * tell, and nobody can ever accept it.
 */
export interface Invitation {
  id: string;
  orgId: string;
  orgName: string;
  login: string;
  userId: string | null;
  role: OrgRole;
  /** The inviting admin's login. */
  invitedBy: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface AuditEvent {
  id: string;
  /** Milliseconds since the epoch. */
  occurredAt: number;
  orgId: string | null;
  action: string;
  actorUserId: string | null;
  actorLogin: string | null;
  tokenId: string | null;
  tokenName: string | null;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export type TokenFilter = 'active' | 'expired' | 'all';

/** Which tokens a list covers. */
export type TokenScope =
  | { type: 'personal'; userId: string }
  | { type: 'organization'; orgId: string }
  | { type: 'team'; teamId: string };

/** Position in a newest-first listing: the last row of the previous page. */
export interface TokenCursor {
  createdAt: number;
  id: string;
}

// audit log and expirations

/** What an audit listing may be narrowed to; every field is optional and they combine with AND. */
export interface AuditFilter {
  /** Milliseconds since the epoch, inclusive. */
  fromMs?: number;
  /** Milliseconds since the epoch, exclusive. */
  untilMs?: number;
  /** The acting person's login (`system` for the operator). */
  actorLogin?: string;
  action?: string;
  /** Any of these actions. */
  actions?: readonly string[];
  /** The request that wrote the event. */
  requestId?: string;
}

/** Position in a newest-first audit listing: the last event of the previous page. */
export interface AuditCursor {
  occurredAt: number;
  id: string;
}

/** An audit event as listed: with the acting person's display name, read when listing. */
export interface AuditEntry {
  event: AuditEvent;
  /** The actor's current display name; null when the actor is not a person. */
  actorName: string | null;
}

/** An organization or team token of an organization, with the name of its team (null for organization tokens). */
export interface OrgTokenEntry {
  token: TokenRecord;
  teamName: string | null;
}

// sessions and accounts

/**
 * A console session. The session id itself is never stored: only its SHA-256 (`idHash`), so a
 * copy of the database does not let anyone sign in as the session's owner.
 */
export interface SessionRecord {
  idHash: string;
  userId: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch; written at most once a minute (see authenticate-session.ts). */
  lastSeenAt: number;
  /** Milliseconds since the epoch: the absolute timeout. */
  expiresAt: number;
  /**
   * Milliseconds since the epoch: when the password was last proven in this session (sign-in,
   * setup, password change, re-authentication). Sensitive actions need it recent (W08).
   */
  passwordVerifiedAt: number;
  sourceIp: string | null;
  userAgent: string | null;
}

// oidc issuers and policies

/** A trusted OIDC issuer of an organization (API.md section 6). */
export interface OidcIssuer {
  id: string;
  orgId: string;
  name: string;
  /** The issuer identifier as registered; a JWT's `iss` must equal it exactly. */
  url: string;
  /** The `issuer` of the discovery document (equal to `url`, checked at registration). */
  issuer: string;
  /** Lowercase hex SHA-256 fingerprints of accepted TLS certificates; empty = not pinned. */
  thumbprints: string[];
  /** Longest lifetime of an exchanged token, in seconds. */
  maxExpiration: number;
  /** A static JWK Set used instead of fetching; null = fetch from `jwksUri`. */
  jwks: Record<string, unknown> | null;
  /** The discovered `jwks_uri`; null when the issuer was registered with a static key set. */
  jwksUri: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  modifiedAt: number;
  /** Unix seconds of the last exchange; 0 = never. */
  lastUsed: number;
}

/** The policy list of one issuer. */
export interface AuthPolicy {
  id: string;
  issuerId: string;
  version: number;
  /** The normalised definitions (see oidc/policy-definition.ts), as stored. */
  policies: unknown[];
  /** Milliseconds since the epoch. */
  createdAt: number;
  modifiedAt: number;
}
