import type { AuthPolicy, OidcIssuer } from '../domain/records.js';
import { authPolicyFromRow, authPolicyToRow, issuerFromRow, issuerToRow } from './mappers.js';
import { AccountStore } from './account-store.js';

/** OIDC issuers, auth policies and the token exchange's single-use records. */
export abstract class OidcStore extends AccountStore {
  // oidc issuers and policies

  async insertIssuer(issuer: OidcIssuer): Promise<void> {
    await this.unique('issuer_taken', `an issuer named '${issuer.name}' or with URL '${issuer.url}' is already registered`, () =>
      this.db.insertInto('oidc_issuers').values(issuerToRow(issuer)).execute(),
    );
  }

  // listIssuers, findAuthPolicyByIssuer and jtiUsed run on every token exchange: compiled once.
  async listIssuers(orgId: string): Promise<OidcIssuer[]> {
    const rows = await this.hot('listIssuers', () => this.db.selectFrom('oidc_issuers').selectAll().where('org_id', '=', orgId).orderBy('name').orderBy('id'), [orgId]);
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
    const [row] = await this.hot('findAuthPolicyByIssuer', () => this.db.selectFrom('auth_policies').selectAll().where('issuer_id', '=', issuerId), [issuerId]);
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
    await this.hotWrite(
      'deleteExpiredJti',
      () => this.db.deleteFrom('oidc_jti').where('issuer_id', '=', issuerId).where('jti', '=', jti).where('expires_at', '<=', nowSec),
      [issuerId, jti, nowSec],
    );
    // ON CONFLICT DO NOTHING rather than catching a violation: on PostgreSQL a failed statement
    // would abort the transaction. A concurrent insert of the same key waits for the other
    // transaction and then inserts nothing.
    const inserted = await this.hotWrite(
      'claimJti',
      () => this.db.insertInto('oidc_jti').values({ issuer_id: issuerId, jti, expires_at: expiresAt }).onConflict((oc) => oc.columns(['issuer_id', 'jti']).doNothing()),
      [issuerId, jti, expiresAt],
    );
    return inserted === 1;
  }

  async jtiUsed(issuerId: string, jti: string, nowSec: number): Promise<boolean> {
    const rows = await this.hot(
      'jtiUsed',
      () => this.db.selectFrom('oidc_jti').select('jti').where('issuer_id', '=', issuerId).where('jti', '=', jti).where('expires_at', '>', nowSec),
      [issuerId, jti, nowSec],
    );
    return rows.length > 0;
  }

  async touchIssuer(id: string, lastUsed: number): Promise<void> {
    await this.hotWrite('touchIssuer', () => this.db.updateTable('oidc_issuers').set({ last_used: lastUsed }).where('id', '=', id).where('last_used', '<', lastUsed), [lastUsed, id, lastUsed]);
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
