import type {
  AuditCursor,
  AuditEntry,
  AuditEvent,
  AuditFilter,
  Credential,
  Invitation,
  Member,
  OrgMembership,
  OrgRole,
  OrgTokenEntry,
  Organization,
  OidcIssuer,
  AuthPolicy,
  SessionRecord,
  Team,
  TeamMember,
  TeamRole,
  TokenCursor,
  TokenFilter,
  TokenRecord,
  TokenScope,
  User,
} from './records.js';

/**
 * What the domain needs persisted. Implemented once over Kysely for SQLite and PostgreSQL
 * (src/storage/kysely-store.ts). Methods that write are meant to be called inside `transaction`
 * together with the audit event that records them, so a change and its audit row commit together.
 * Uniqueness is enforced by constraints: inserts that collide throw the matching DomainError.
 */
export interface Store {
  /** Runs `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Cheap round trip used by the readiness probe. */
  ping(): Promise<void>;

  countUsers(): Promise<number>;
  /** Stores a user; the password hash (if any) is kept apart from the User record. */
  insertUser(user: User, passwordHash: string | null): Promise<void>;
  /** The stored password hash, read only where a password is checked. */
  findPasswordHash(userId: string): Promise<string | null>;
  findUserByLogin(login: string): Promise<User | undefined>;

  insertOrg(org: Organization): Promise<void>;
  findOrgByName(name: string): Promise<Organization | undefined>;
  /** The organization whose name equals `name` ignoring ASCII case (X13), if any. */
  findOrgByNameIgnoringCase(name: string): Promise<Organization | undefined>;

  findMemberRole(orgId: string, userId: string): Promise<OrgRole | undefined>;
  upsertMember(orgId: string, userId: string, role: OrgRole, at: number): Promise<void>;
  deleteMember(orgId: string, userId: string): Promise<boolean>;
  listMembers(orgId: string): Promise<Member[]>;
  countAdmins(orgId: string): Promise<number>;
  listMemberships(userId: string): Promise<OrgMembership[]>;

  insertTeam(team: Team): Promise<void>;
  findTeam(orgId: string, name: string): Promise<Team | undefined>;
  listTeams(orgId: string): Promise<Team[]>;
  deleteTeam(teamId: string): Promise<void>;
  findTeamRole(teamId: string, userId: string): Promise<TeamRole | undefined>;
  upsertTeamMember(teamId: string, userId: string, role: TeamRole, at: number): Promise<void>;
  deleteTeamMember(teamId: string, userId: string): Promise<boolean>;
  /** Removes the user from every team of the organization. */
  deleteTeamMembershipsInOrg(orgId: string, userId: string): Promise<void>;
  listTeamMembers(teamId: string): Promise<TeamMember[]>;

  insertToken(token: TokenRecord): Promise<void>;
  tokenNameExists(orgId: string, name: string): Promise<boolean>;
  findCredential(tokenHash: string): Promise<Credential | undefined>;
  findToken(id: string): Promise<TokenRecord | undefined>;
  /** Newest first, at most `limit` rows after `after`. `nowSec` decides active versus expired. */
  listTokens(scope: TokenScope, filter: TokenFilter, nowSec: number, limit: number, after?: TokenCursor): Promise<TokenRecord[]>;
  /** Marks the token revoked unless it already is; true when this call revoked it. */
  revokeToken(id: string, atSec: number): Promise<boolean>;
  revokeTeamTokens(teamId: string, atSec: number): Promise<number>;
  /** Moves `lastUsed` forward (never backward) for each entry. */
  touchTokens(entries: ReadonlyArray<{ id: string; lastUsed: number }>): Promise<void>;

  insertAudit(event: AuditEvent): Promise<void>;
  listAudit(orgId: string | null, limit: number): Promise<AuditEvent[]>;

  // audit log and expirations
  /**
   * An organization's audit events matching `filter`, newest first by (occurredAt, id), at most
   * `limit` of them after `after`. Each comes with the acting person's display name.
   */
  listOrgAudit(orgId: string, filter: AuditFilter, limit: number, after?: AuditCursor): Promise<AuditEntry[]>;
  /** Unrevoked organization and team tokens of the organization with `afterSec < expires <= untilSec`, soonest first. */
  listExpiringTokens(orgId: string, afterSec: number, untilSec: number, limit: number): Promise<OrgTokenEntry[]>;
  /** Unrevoked organization and team tokens of the organization that never expire, oldest first. */
  listTokensWithoutExpiry(orgId: string, limit: number): Promise<OrgTokenEntry[]>;
  /**
   * Active (as of `nowSec`) organization and team tokens of the organization whose stored
   * `lastUsed` is before `usedBeforeSec` (never used included), least recently used first.
   */
  listUnusedTokens(orgId: string, nowSec: number, usedBeforeSec: number, limit: number): Promise<OrgTokenEntry[]>;

  // sessions and accounts
  /**
   * Marks first-run setup as done. Fails with setup_done when it already is: a fixed primary key
   * decides between two racing setups, so exactly one of them commits.
   */
  claimSetup(at: number): Promise<void>;
  /** Every user, ordered by login. */
  listUsers(): Promise<User[]>;
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;
  /** Sets or clears `disabledAt`; the user with the new value, or undefined when there is no such user. */
  setUserDisabled(userId: string, disabledAt: number | null): Promise<User | undefined>;
  insertSession(session: SessionRecord): Promise<void>;
  /** The session with this id hash and its user. */
  findSession(idHash: string): Promise<{ session: SessionRecord; user: User } | undefined>;
  /** Moves `lastSeenAt` forward (never backward). */
  touchSession(idHash: string, lastSeenAt: number): Promise<void>;
  /** Records a new proof of the password in the session (W08); false when there is no such session. */
  markSessionPasswordVerified(idHash: string, at: number): Promise<boolean>;
  /** True when a session was deleted. */
  deleteSession(idHash: string): Promise<boolean>;
  /** Deletes every session of the user, except the one with `exceptIdHash`; returns how many. */
  deleteUserSessions(userId: string, exceptIdHash?: string): Promise<number>;
  /** Deletes sessions past their absolute timeout (`expiresAt <= nowMs`) or idle since before `idleBeforeMs`. */
  deleteExpiredSessions(nowMs: number, idleBeforeMs: number): Promise<number>;

  // oidc issuers and policies
  /** Stores an issuer; a name or URL already registered in the organization fails with issuer_taken. */
  insertIssuer(issuer: OidcIssuer): Promise<void>;
  /** The organization's issuers, by name. */
  listIssuers(orgId: string): Promise<OidcIssuer[]>;
  /** The issuer with this id, only when it belongs to the organization. */
  findIssuer(orgId: string, id: string): Promise<OidcIssuer | undefined>;
  /** Writes the mutable fields (name, thumbprints, maxExpiration, jwks, jwksUri, modifiedAt); name clashes fail with issuer_taken. */
  updateIssuer(issuer: OidcIssuer): Promise<void>;
  /** Deletes the issuer and its policy; true when it existed. */
  deleteIssuer(id: string): Promise<boolean>;
  insertAuthPolicy(policy: AuthPolicy): Promise<void>;
  findAuthPolicyByIssuer(issuerId: string): Promise<AuthPolicy | undefined>;
  /** The policy with this id, only when its issuer belongs to the organization. */
  findAuthPolicy(orgId: string, id: string): Promise<AuthPolicy | undefined>;
  /** Replaces the policy list and increments the version atomically; returns the new record. */
  replaceAuthPolicies(id: string, policies: unknown[], modifiedAt: number): Promise<AuthPolicy>;

  // token exchange
  /**
   * Records that the ID token `jti` of the issuer has been exchanged, kept until `expiresAt` (unix
   * seconds). False when it already was (a row that expired by `nowSec` is replaced). Meant to run
   * first in the transaction that mints the token: the primary key decides between racing exchanges.
   */
  claimJti(issuerId: string, jti: string, expiresAt: number, nowSec: number): Promise<boolean>;
  /** True when (issuer, jti) is recorded and not expired by `nowSec`. */
  jtiUsed(issuerId: string, jti: string, nowSec: number): Promise<boolean>;
  /** Moves the issuer's `lastUsed` (unix seconds) forward, never backward. */
  touchIssuer(id: string, lastUsed: number): Promise<void>;
  /**
   * Deletes up to `limit` exchanged tokens (source oidc) that expired at or before `expiredBy`
   * (unix seconds), and up to `limit` single-use rows past their expiry at `nowSec`. Returns how
   * many of each went; the caller repeats while a full batch went.
   */
  purgeExchanges(expiredBy: number, nowSec: number, limit: number): Promise<{ tokens: number; jtis: number }>;

  // membership invitations
  /**
   * Stores the invitation, replacing the one of the same organization and login if any (one
   * invitation per organization and login; the newer one wins).
   */
  upsertInvitation(invitation: Invitation): Promise<void>;
  /**
   * Taken first in a transaction that invites `login`: holds off other transactions inviting the
   * same login until this one ends, so the count of pending invitations they read is exact.
   */
  lockInvitee(login: string): Promise<void>;
  /** Invitations for `login` (of any organization) that have not expired by `nowMs`. */
  countPendingInvitations(login: string, nowMs: number): Promise<number>;
  /** The organization's invitations that have not expired by `nowMs`, newest first. */
  listOrgInvitations(orgId: string, nowMs: number): Promise<Invitation[]>;
  /** The user's invitations that have not expired by `nowMs`, newest first. */
  listUserInvitations(userId: string, nowMs: number): Promise<Invitation[]>;
  /** The invitation with this id (expired or not), with its organization's name. */
  findInvitation(id: string): Promise<Invitation | undefined>;
  /** True when this call deleted it: of two racing answers, one wins. */
  deleteInvitation(id: string): Promise<boolean>;
  /** Deletes the invitations of `login` to the organization (it became a member otherwise). */
  deleteInvitationsFor(orgId: string, login: string): Promise<void>;
  /** Deletes invitations that expired by `nowMs`; returns how many. */
  purgeExpiredInvitations(nowMs: number): Promise<number>;
}
