import type {
  AuditCursor,
  AuditEntry,
  AuditEvent,
  AuditFilter,
  Credential,
  OrgTokenEntry,
  TokenCursor,
  TokenFilter,
  TokenRecord,
  TokenScope,
} from '../domain/records.js';
import { auditFromRow, auditToRow, orgFromRow, teamFromRow, tokenFromRow, tokenToRow } from './mappers.js';
import type { TokensTable } from './schema.js';
import { PeopleStore } from './people-store.js';
import { OWNER_COLUMNS, ownerFromRow } from './store-base.js';

/** Tokens, the audit log and the expirations report. */
export abstract class TokenStore extends PeopleStore {
  async insertToken(token: TokenRecord): Promise<void> {
    const row = tokenToRow(token);
    await this.unique('token_name_taken', `a token named '${token.name}' already exists in this organization`, () =>
      this.hotWrite('insertToken', () => this.db.insertInto('tokens').values(row), Object.values(row)),
    );
  }

  async tokenNameExists(orgId: string, name: string): Promise<boolean> {
    const rows = await this.hot('tokenNameExists', () => this.db.selectFrom('tokens').select('id').where('org_id', '=', orgId).where('name', '=', name), [orgId, name]);
    return rows.length > 0;
  }

  async findCredential(tokenHash: string): Promise<Credential | undefined> {
    // One round trip: the token with its owner, organization, team and binding organization.
    const [row] = await this.hot(
      'findCredential',
      () =>
        this.db
          .selectFrom('tokens')
          .leftJoin('users', 'users.id', 'tokens.user_id')
          .leftJoin('organizations', 'organizations.id', 'tokens.org_id')
          .leftJoin('organizations as bound', 'bound.id', 'tokens.bound_org_id')
          .leftJoin('teams', 'teams.id', 'tokens.team_id')
          .selectAll('tokens')
          .select([
            ...OWNER_COLUMNS,
            'organizations.name as o_name',
            'organizations.created_at as o_created_at',
            'bound.name as b_name',
            'bound.created_at as b_created_at',
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
    const boundOrg = row.bound_org_id && row.b_name !== null ? orgFromRow({ id: row.bound_org_id, name: row.b_name, created_at: row.b_created_at ?? 0 }) : null;
    return { token, user, org, team, boundOrg };
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
      const db = (tx as unknown as TokenStore).db;
      for (const e of entries) {
        await db.updateTable('tokens').set({ last_used: e.lastUsed }).where('id', '=', e.id).where('last_used', '<', e.lastUsed).execute();
      }
    });
  }

  async insertAudit(event: AuditEvent): Promise<void> {
    const row = auditToRow(event);
    await this.hotWrite('insertAudit', () => this.db.insertInto('audit_events').values(row), Object.values(row));
  }

  async listAudit(orgId: string | null, limit: number): Promise<AuditEvent[]> {
    let q = this.db.selectFrom('audit_events').selectAll();
    if (orgId !== null) q = q.where('org_id', '=', orgId);
    const rows = await q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(auditFromRow);
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

}

function orgTokenEntry({ team_name, ...row }: TokensTable & { team_name: string | null }): OrgTokenEntry {
  return { token: tokenFromRow(row), teamName: team_name };
}
