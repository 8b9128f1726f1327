import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { DomainError } from '../domain/errors.js';
import type { Store } from '../domain/store.js';
import type {
  AuditCursor,
  AuditEntry,
  AuditEvent,
  AuditFilter,
  Credential,
  Member,
  OrgMembership,
  OrgRole,
  OrgTokenEntry,
  Organization,
  Team,
  TeamMember,
  TeamRole,
  TokenCursor,
  TokenFilter,
  TokenRecord,
  TokenScope,
  User,
} from '../domain/records.js';
import { isUniqueViolation } from './dialect.js';
import {
  auditFromRow,
  auditToRow,
  orgFromRow,
  orgRole,
  teamFromRow,
  teamRole,
  teamToRow,
  tokenFromRow,
  tokenToRow,
  userFromRow,
  userToRow,
} from './mappers.js';
import type { HotRead } from './open-database.js';
import type { SessionRecord } from '../domain/records.js';
import { sessionFromRow, sessionToRow } from './mappers.js';
import type { AuthPolicy, OidcIssuer } from '../domain/records.js';
import { authPolicyFromRow, authPolicyToRow, issuerFromRow, issuerToRow } from './mappers.js';
import type { Database, TokensTable } from './schema.js';

const USER_COLUMNS = ['users.id', 'users.login', 'users.email', 'users.name', 'users.site_admin', 'users.disabled_at', 'users.created_at'] as const;

/** The owning user's columns, joined into the per-request token and session reads as u_*. */
const OWNER_COLUMNS = [
  'users.login as u_login',
  'users.email as u_email',
  'users.name as u_name',
  'users.site_admin as u_site_admin',
  'users.disabled_at as u_disabled_at',
  'users.created_at as u_created_at',
] as const;

interface OwnerColumns {
  u_login: string | null;
  u_email: string | null;
  u_name: string | null;
  u_site_admin: number | null;
  u_disabled_at: number | null;
  u_created_at: number | null;
}

/** The user read through OWNER_COLUMNS, or null when the join found none. */
function ownerFromRow(id: string | null, r: OwnerColumns): User | null {
  if (!id || r.u_login === null) return null;
  return userFromRow({
    id,
    login: r.u_login,
    email: r.u_email ?? '',
    name: r.u_name ?? '',
    site_admin: r.u_site_admin ?? 0,
    disabled_at: r.u_disabled_at,
    created_at: r.u_created_at ?? 0,
  });
}

/** The Store over any Kysely<Database>: a database handle, or a transaction inside one. */
export class KyselyStore implements Store {
  constructor(
    private readonly db: Kysely<Database> | Transaction<Database>,
    /** SQL of the per-request queries, compiled once; shared with transaction-scoped stores. */
    private readonly compiled = new Map<string, CompiledQuery>(),
    /** The database's fast path for hot reads (see OpenDatabase.hotRead); never inside a transaction. */
    private readonly hotRead?: HotRead,
  ) {}

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    // Already inside a transaction: join it rather than nest.
    if (this.db.isTransaction) return fn(this);
    return this.db.transaction().execute((trx) => fn(new KyselyStore(trx, this.compiled)));
  }

  /**
   * Runs a query that every authenticated request makes. Building and compiling it costs more than
   * executing it, so its SQL is compiled on first use and later runs only bind new `params`, which
   * must be the query's parameters in order.
   */
  private async hot<R>(key: string, build: () => { compile(): CompiledQuery<R> }, params: readonly unknown[]): Promise<R[]> {
    let query = this.compiled.get(key) as CompiledQuery<R> | undefined;
    if (!query) {
      query = build().compile();
      if (query.parameters.length !== params.length) throw new Error(`hot query ${key} has ${query.parameters.length} parameters, not ${params.length}`);
      this.compiled.set(key, query);
    }
    const rows = this.hotRead?.(query.sql, params);
    if (rows) return (await rows) as R[];
    const result = await this.db.executeQuery<R>(CompiledQuery.raw(query.sql, [...params]) as CompiledQuery<R>);
    return result.rows;
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('users').select('id').limit(1).execute();
  }

  async countUsers(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertUser(user: User, passwordHash: string | null): Promise<void> {
    await this.unique('login_taken', `login '${user.login}' is taken`, () => this.db.insertInto('users').values(userToRow(user, passwordHash)).execute());
  }

  async findPasswordHash(userId: string): Promise<string | null> {
    const row = await this.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
    return row?.password_hash ?? null;
  }

  async findUserByLogin(login: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').select(USER_COLUMNS).where('login', '=', login).executeTakeFirst();
    return row && userFromRow(row);
  }

  async insertOrg(org: Organization): Promise<void> {
    await this.unique('org_name_taken', `organization '${org.name}' already exists`, () =>
      this.db.insertInto('organizations').values({ id: org.id, name: org.name, created_at: org.createdAt }).execute(),
    );
  }

  async findOrgByName(name: string): Promise<Organization | undefined> {
    const row = await this.db.selectFrom('organizations').selectAll().where('name', '=', name).executeTakeFirst();
    return row && orgFromRow(row);
  }

  async findMemberRole(orgId: string, userId: string): Promise<OrgRole | undefined> {
    const row = await this.db.selectFrom('org_members').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return row && orgRole(row.role);
  }

  async upsertMember(orgId: string, userId: string, role: OrgRole, at: number): Promise<void> {
    await this.db
      .insertInto('org_members')
      .values({ org_id: orgId, user_id: userId, role, created_at: at })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async deleteMember(orgId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('org_members').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listMembers(orgId: string): Promise<Member[]> {
    const rows = await this.db
      .selectFrom('org_members')
      .innerJoin('users', 'users.id', 'org_members.user_id')
      .select([...USER_COLUMNS, 'org_members.role'])
      .where('org_members.org_id', '=', orgId)
      .orderBy('users.login')
      .execute();
    return rows.map((r) => ({ user: userFromRow(r), role: orgRole(r.role) }));
  }

  async countAdmins(orgId: string): Promise<number> {
    const row = await this.db
      .selectFrom('org_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_id', '=', orgId)
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listMemberships(userId: string): Promise<OrgMembership[]> {
    const rows = await this.hot(
      'listMemberships',
      () =>
        this.db
          .selectFrom('org_members')
          .innerJoin('organizations', 'organizations.id', 'org_members.org_id')
          .select(['organizations.id', 'organizations.name', 'organizations.created_at', 'org_members.role'])
          .where('org_members.user_id', '=', userId),
      [userId],
    );
    // Sorted here rather than in SQL: a person belongs to few organizations, and an ORDER BY
    // costs this per-request query a temporary B-tree.
    return rows.map((r) => ({ org: orgFromRow(r), role: orgRole(r.role) })).sort((a, b) => (a.org.name < b.org.name ? -1 : a.org.name > b.org.name ? 1 : 0));
  }

  async insertTeam(team: Team): Promise<void> {
    await this.unique('team_name_taken', `team '${team.name}' already exists`, () => this.db.insertInto('teams').values(teamToRow(team)).execute());
  }

  async findTeam(orgId: string, name: string): Promise<Team | undefined> {
    const row = await this.db.selectFrom('teams').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return row && teamFromRow(row);
  }

  async listTeams(orgId: string): Promise<Team[]> {
    const rows = await this.db.selectFrom('teams').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
    return rows.map(teamFromRow);
  }

  async deleteTeam(teamId: string): Promise<void> {
    await this.db.deleteFrom('team_members').where('team_id', '=', teamId).execute();
    await this.db.deleteFrom('teams').where('id', '=', teamId).execute();
  }

  async findTeamRole(teamId: string, userId: string): Promise<TeamRole | undefined> {
    const row = await this.db.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return row && teamRole(row.role);
  }

  async upsertTeamMember(teamId: string, userId: string, role: TeamRole, at: number): Promise<void> {
    await this.db
      .insertInto('team_members')
      .values({ team_id: teamId, user_id: userId, role, created_at: at })
      .onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async deleteTeamMember(teamId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteTeamMembershipsInOrg(orgId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('team_members')
      .where('user_id', '=', userId)
      .where('team_id', 'in', (eb) => eb.selectFrom('teams').select('id').where('org_id', '=', orgId))
      .execute();
  }

  async listTeamMembers(teamId: string): Promise<TeamMember[]> {
    const rows = await this.db
      .selectFrom('team_members')
      .innerJoin('users', 'users.id', 'team_members.user_id')
      .select([...USER_COLUMNS, 'team_members.role'])
      .where('team_members.team_id', '=', teamId)
      .orderBy('users.login')
      .execute();
    return rows.map((r) => ({ user: userFromRow(r), role: teamRole(r.role) }));
  }

  async insertToken(token: TokenRecord): Promise<void> {
    await this.unique('token_name_taken', `a token named '${token.name}' already exists in this organization`, () =>
      this.db.insertInto('tokens').values(tokenToRow(token)).execute(),
    );
  }

  async tokenNameExists(orgId: string, name: string): Promise<boolean> {
    const row = await this.db.selectFrom('tokens').select('id').where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return row !== undefined;
  }

  async findCredential(tokenHash: string): Promise<Credential | undefined> {
    // One round trip: the token with its owner, organization and team.
    const [row] = await this.hot(
      'findCredential',
      () =>
        this.db
          .selectFrom('tokens')
          .leftJoin('users', 'users.id', 'tokens.user_id')
          .leftJoin('organizations', 'organizations.id', 'tokens.org_id')
          .leftJoin('teams', 'teams.id', 'tokens.team_id')
          .selectAll('tokens')
          .select([
            ...OWNER_COLUMNS,
            'organizations.name as o_name',
            'organizations.created_at as o_created_at',
            'teams.name as t_name',
            'teams.description as t_description',
            'teams.created_at as t_created_at',
          ])
          .where('tokens.token_hash', '=', tokenHash),
      [tokenHash],
    );
    if (!row) return undefined;
    const token = tokenFromRow(row);
    const user = ownerFromRow(row.user_id, row);
    const org = row.org_id && row.o_name !== null ? orgFromRow({ id: row.org_id, name: row.o_name, created_at: row.o_created_at ?? 0 }) : null;
    const team =
      row.team_id && row.org_id && row.t_name !== null
        ? teamFromRow({ id: row.team_id, org_id: row.org_id, name: row.t_name, description: row.t_description ?? '', created_at: row.t_created_at ?? 0 })
        : null;
    return { token, user, org, team };
  }

  async findToken(id: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && tokenFromRow(row);
  }

  async listTokens(scope: TokenScope, filter: TokenFilter, nowSec: number, limit: number, after?: TokenCursor): Promise<TokenRecord[]> {
    let q = this.db.selectFrom('tokens').selectAll().where('type', '=', scope.type);
    if (scope.type === 'personal') q = q.where('user_id', '=', scope.userId);
    else if (scope.type === 'organization') q = q.where('org_id', '=', scope.orgId);
    else q = q.where('team_id', '=', scope.teamId);
    if (filter === 'active') {
      q = q.where('revoked_at', '=', 0).where((eb) => eb.or([eb('expires', '=', 0), eb('expires', '>', nowSec)]));
    } else if (filter === 'expired') {
      q = q.where('revoked_at', '=', 0).where('expires', '!=', 0).where('expires', '<=', nowSec);
    }
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]),
      );
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(tokenFromRow);
  }

  async revokeToken(id: string, atSec: number): Promise<boolean> {
    const r = await this.db.updateTable('tokens').set({ revoked_at: atSec }).where('id', '=', id).where('revoked_at', '=', 0).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async revokeTeamTokens(teamId: string, atSec: number): Promise<number> {
    const r = await this.db.updateTable('tokens').set({ revoked_at: atSec }).where('team_id', '=', teamId).where('revoked_at', '=', 0).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async touchTokens(entries: ReadonlyArray<{ id: string; lastUsed: number }>): Promise<void> {
    await this.transaction(async (tx) => {
      const db = (tx as KyselyStore).db;
      for (const e of entries) {
        await db.updateTable('tokens').set({ last_used: e.lastUsed }).where('id', '=', e.id).where('last_used', '<', e.lastUsed).execute();
      }
    });
  }

  async insertAudit(event: AuditEvent): Promise<void> {
    await this.db.insertInto('audit_events').values(auditToRow(event)).execute();
  }

  async listAudit(orgId: string | null, limit: number): Promise<AuditEvent[]> {
    let q = this.db.selectFrom('audit_events').selectAll();
    if (orgId !== null) q = q.where('org_id', '=', orgId);
    const rows = await q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(auditFromRow);
  }

  /** Runs an insert, turning a unique violation into the given domain error. */
  private async unique(code: 'login_taken' | 'org_name_taken' | 'team_name_taken' | 'token_name_taken' | 'issuer_taken', message: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError(code, message);
      throw err;
    }
  }

  // audit log and expirations

  async listOrgAudit(orgId: string, filter: AuditFilter, limit: number, after?: AuditCursor): Promise<AuditEntry[]> {
    // Served by the indexes of migration 2026-11-27-audit-indexes: (org_id, occurred_at, id), and
    // the same behind actor_login or action when those filters are set.
    let q = this.db
      .selectFrom('audit_events')
      .leftJoin('users', 'users.id', 'audit_events.actor_user_id')
      .selectAll('audit_events')
      .select('users.name as actor_name')
      .where('audit_events.org_id', '=', orgId);
    if (filter.fromMs !== undefined) q = q.where('audit_events.occurred_at', '>=', filter.fromMs);
    if (filter.untilMs !== undefined) q = q.where('audit_events.occurred_at', '<', filter.untilMs);
    if (filter.actorLogin !== undefined) q = q.where('audit_events.actor_login', '=', filter.actorLogin);
    if (filter.action !== undefined) q = q.where('audit_events.action', '=', filter.action);
    if (filter.actions !== undefined) q = q.where('audit_events.action', 'in', filter.actions);
    if (filter.requestId !== undefined) q = q.where('audit_events.request_id', '=', filter.requestId);
    if (after) {
      // The `<=` is implied by the OR, but spelled out it bounds the index range, which an OR
      // alone hides from SQLite's planner.
      q = q
        .where('audit_events.occurred_at', '<=', after.occurredAt)
        .where((eb) => eb.or([eb('audit_events.occurred_at', '<', after.occurredAt), eb('audit_events.id', '<', after.id)]));
    }
    const rows = await q.orderBy('audit_events.occurred_at', 'desc').orderBy('audit_events.id', 'desc').limit(limit).execute();
    return rows.map(({ actor_name, ...row }) => ({ event: auditFromRow(row), actorName: actor_name }));
  }

  async listExpiringTokens(orgId: string, afterSec: number, untilSec: number, limit: number): Promise<OrgTokenEntry[]> {
    // `expires > afterSec` (afterSec >= 0) also leaves out the never-expiring tokens (expires = 0).
    const rows = await this.unrevokedOrgTokens(orgId)
      .where('tokens.expires', '>', afterSec)
      .where('tokens.expires', '<=', untilSec)
      .orderBy('tokens.expires', 'asc')
      .orderBy('tokens.created_at', 'asc')
      .orderBy('tokens.id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(orgTokenEntry);
  }

  async listTokensWithoutExpiry(orgId: string, limit: number): Promise<OrgTokenEntry[]> {
    const rows = await this.unrevokedOrgTokens(orgId).where('tokens.expires', '=', 0).orderBy('tokens.created_at', 'asc').orderBy('tokens.id', 'asc').limit(limit).execute();
    return rows.map(orgTokenEntry);
  }

  async listUnusedTokens(orgId: string, nowSec: number, usedBeforeSec: number, limit: number): Promise<OrgTokenEntry[]> {
    const rows = await this.unrevokedOrgTokens(orgId)
      .where((eb) => eb.or([eb('tokens.expires', '=', 0), eb('tokens.expires', '>', nowSec)]))
      .where('tokens.last_used', '<', usedBeforeSec)
      .orderBy('tokens.last_used', 'asc')
      .orderBy('tokens.created_at', 'asc')
      .orderBy('tokens.id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(orgTokenEntry);
  }

  /** An organization's unrevoked organization and team tokens with their team's name (index tokens_org_list). */
  private unrevokedOrgTokens(orgId: string) {
    return this.db
      .selectFrom('tokens')
      .leftJoin('teams', 'teams.id', 'tokens.team_id')
      .selectAll('tokens')
      .select('teams.name as team_name')
      .where('tokens.org_id', '=', orgId)
      .where('tokens.type', 'in', ['organization', 'team'])
      .where('tokens.revoked_at', '=', 0);
  }

  // sessions and accounts

  async claimSetup(at: number): Promise<void> {
    try {
      await this.db.insertInto('setup').values({ id: 1, completed_at: at }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError('setup_done', 'setup has already been done; sign in instead');
      throw err;
    }
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').select(USER_COLUMNS).orderBy('login').execute();
    return rows.map(userFromRow);
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
  }

  async setUserDisabled(userId: string, disabledAt: number | null): Promise<User | undefined> {
    await this.db.updateTable('users').set({ disabled_at: disabledAt }).where('id', '=', userId).execute();
    const row = await this.db.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId).executeTakeFirst();
    return row && userFromRow(row);
  }

  async insertSession(session: SessionRecord): Promise<void> {
    await this.db.insertInto('sessions').values(sessionToRow(session)).execute();
  }

  async findSession(idHash: string): Promise<{ session: SessionRecord; user: User } | undefined> {
    // Every cookie-authenticated request makes this read: one round trip, compiled once.
    const [row] = await this.hot(
      'findSession',
      () =>
        this.db
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .selectAll('sessions')
          .select(OWNER_COLUMNS)
          .where('sessions.id_hash', '=', idHash),
      [idHash],
    );
    const user = row && ownerFromRow(row.user_id, row);
    return row && user ? { session: sessionFromRow(row), user } : undefined;
  }

  async touchSession(idHash: string, lastSeenAt: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id_hash', '=', idHash).where('last_seen_at', '<', lastSeenAt).execute();
  }

  async deleteSession(idHash: string): Promise<boolean> {
    const r = await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteUserSessions(userId: string, exceptIdHash?: string): Promise<number> {
    let q = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (exceptIdHash !== undefined) q = q.where('id_hash', '!=', exceptIdHash);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteExpiredSessions(nowMs: number, idleBeforeMs: number): Promise<number> {
    const r = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', nowMs), eb('last_seen_at', '<', idleBeforeMs)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // oidc issuers and policies

  async insertIssuer(issuer: OidcIssuer): Promise<void> {
    await this.unique('issuer_taken', `an issuer named '${issuer.name}' or with URL '${issuer.url}' is already registered`, () =>
      this.db.insertInto('oidc_issuers').values(issuerToRow(issuer)).execute(),
    );
  }

  async listIssuers(orgId: string): Promise<OidcIssuer[]> {
    const rows = await this.db.selectFrom('oidc_issuers').selectAll().where('org_id', '=', orgId).orderBy('name').orderBy('id').execute();
    return rows.map(issuerFromRow);
  }

  async findIssuer(orgId: string, id: string): Promise<OidcIssuer | undefined> {
    const row = await this.db.selectFrom('oidc_issuers').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    return row && issuerFromRow(row);
  }

  async updateIssuer(issuer: OidcIssuer): Promise<void> {
    const row = issuerToRow(issuer);
    await this.unique('issuer_taken', `an issuer named '${issuer.name}' is already registered`, () =>
      this.db
        .updateTable('oidc_issuers')
        .set({ name: row.name, thumbprints: row.thumbprints, max_expiration: row.max_expiration, jwks: row.jwks, jwks_uri: row.jwks_uri, modified_at: row.modified_at })
        .where('id', '=', issuer.id)
        .execute(),
    );
  }

  async deleteIssuer(id: string): Promise<boolean> {
    await this.db.deleteFrom('auth_policies').where('issuer_id', '=', id).execute();
    const r = await this.db.deleteFrom('oidc_issuers').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async insertAuthPolicy(policy: AuthPolicy): Promise<void> {
    await this.db.insertInto('auth_policies').values(authPolicyToRow(policy)).execute();
  }

  async findAuthPolicyByIssuer(issuerId: string): Promise<AuthPolicy | undefined> {
    const row = await this.db.selectFrom('auth_policies').selectAll().where('issuer_id', '=', issuerId).executeTakeFirst();
    return row && authPolicyFromRow(row);
  }

  async findAuthPolicy(orgId: string, id: string): Promise<AuthPolicy | undefined> {
    const row = await this.db
      .selectFrom('auth_policies')
      .innerJoin('oidc_issuers', 'oidc_issuers.id', 'auth_policies.issuer_id')
      .selectAll('auth_policies')
      .where('auth_policies.id', '=', id)
      .where('oidc_issuers.org_id', '=', orgId)
      .executeTakeFirst();
    return row && authPolicyFromRow(row);
  }

  async replaceAuthPolicies(id: string, policies: unknown[], modifiedAt: number): Promise<AuthPolicy> {
    // One statement increments the version, so two concurrent saves yield two distinct versions.
    await this.db
      .updateTable('auth_policies')
      .set((eb) => ({ policies: JSON.stringify(policies), modified_at: modifiedAt, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
    const row = await this.db.selectFrom('auth_policies').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return authPolicyFromRow(row);
  }

  // token exchange

  async claimJti(issuerId: string, jti: string, expiresAt: number, nowSec: number): Promise<boolean> {
    await this.db.deleteFrom('oidc_jti').where('issuer_id', '=', issuerId).where('jti', '=', jti).where('expires_at', '<=', nowSec).execute();
    // ON CONFLICT DO NOTHING rather than catching a violation: on PostgreSQL a failed statement
    // would abort the transaction. A concurrent insert of the same key waits for the other
    // transaction and then inserts nothing.
    const r = await this.db
      .insertInto('oidc_jti')
      .values({ issuer_id: issuerId, jti, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['issuer_id', 'jti']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async jtiUsed(issuerId: string, jti: string, nowSec: number): Promise<boolean> {
    const row = await this.db.selectFrom('oidc_jti').select('jti').where('issuer_id', '=', issuerId).where('jti', '=', jti).where('expires_at', '>', nowSec).executeTakeFirst();
    return row !== undefined;
  }

  async touchIssuer(id: string, lastUsed: number): Promise<void> {
    await this.db.updateTable('oidc_issuers').set({ last_used: lastUsed }).where('id', '=', id).where('last_used', '<', lastUsed).execute();
  }

  async purgeExchanges(expiredBy: number, nowSec: number, limit: number): Promise<{ tokens: number; jtis: number }> {
    // In batches through a sub-select (both dialects), so one purge never holds a long lock.
    const tokens = await this.db
      .deleteFrom('tokens')
      .where('id', 'in', (eb) =>
        eb.selectFrom('tokens').select('id').where('source', '=', 'oidc').where('expires', '>', 0).where('expires', '<=', expiredBy).limit(limit),
      )
      .executeTakeFirst();
    const jtis = await this.db
      .deleteFrom('oidc_jti')
      .where((eb) =>
        eb(eb.refTuple('issuer_id', 'jti'), 'in', eb.selectFrom('oidc_jti').select(['issuer_id', 'jti']).where('expires_at', '<=', nowSec).limit(limit).$asTuple('issuer_id', 'jti')),
      )
      .executeTakeFirst();
    return { tokens: Number(tokens.numDeletedRows), jtis: Number(jtis.numDeletedRows) };
  }
}

function orgTokenEntry({ team_name, ...row }: TokensTable & { team_name: string | null }): OrgTokenEntry {
  return { token: tokenFromRow(row), teamName: team_name };
}
