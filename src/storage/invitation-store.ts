import type { Invitation } from '../domain/records.js';
import { invitationFromRow, invitationToRow } from './mappers.js';
import { OidcStore } from './oidc-store.js';

/** Membership invitations (API.md section 5). */
export abstract class InvitationStore extends OidcStore {
  async upsertInvitation(invitation: Invitation): Promise<void> {
    const row = invitationToRow(invitation);
    await this.db
      .insertInto('org_invitations')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['org_id', 'login']).doUpdateSet({
          id: row.id,
          user_id: row.user_id,
          role: row.role,
          invited_by: row.invited_by,
          created_at: row.created_at,
          expires_at: row.expires_at,
        }),
      )
      .execute();
  }

  async lockInvitee(login: string): Promise<void> {
    // A write to the login's row: on PostgreSQL a second transaction inviting the same login waits
    // here until the first commits, then counts what it committed.
    await this.db
      .insertInto('org_invitation_locks')
      .values({ login })
      .onConflict((oc) => oc.column('login').doUpdateSet({ login }))
      .execute();
  }

  async countPendingInvitations(login: string, nowMs: number): Promise<number> {
    const row = await this.db
      .selectFrom('org_invitations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('login', '=', login)
      .where('expires_at', '>', nowMs)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listOrgInvitations(orgId: string, nowMs: number): Promise<Invitation[]> {
    const rows = await this.withOrgName().where('org_invitations.org_id', '=', orgId).where('org_invitations.expires_at', '>', nowMs).orderBy('org_invitations.created_at', 'desc').orderBy('org_invitations.id').execute();
    return rows.map(invitationFromRow);
  }

  async listUserInvitations(userId: string, nowMs: number): Promise<Invitation[]> {
    const rows = await this.withOrgName().where('org_invitations.user_id', '=', userId).where('org_invitations.expires_at', '>', nowMs).orderBy('org_invitations.created_at', 'desc').orderBy('org_invitations.id').execute();
    return rows.map(invitationFromRow);
  }

  async findInvitation(id: string): Promise<Invitation | undefined> {
    const row = await this.withOrgName().where('org_invitations.id', '=', id).executeTakeFirst();
    return row && invitationFromRow(row);
  }

  async deleteInvitation(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('org_invitations').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteInvitationsFor(orgId: string, login: string): Promise<void> {
    await this.db.deleteFrom('org_invitations').where('org_id', '=', orgId).where('login', '=', login).execute();
  }

  async purgeExpiredInvitations(nowMs: number): Promise<number> {
    const r = await this.db.deleteFrom('org_invitations').where('expires_at', '<=', nowMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  private withOrgName() {
    return this.db.selectFrom('org_invitations').innerJoin('organizations', 'organizations.id', 'org_invitations.org_id').selectAll('org_invitations').select('organizations.name as org_name');
  }
}
