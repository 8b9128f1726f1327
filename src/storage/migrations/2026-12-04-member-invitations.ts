import { sql, type Kysely } from 'kysely';

// Catalog X01. Membership becomes by invitation (API.md section 5), and a personal token minted by
// token exchange is bound to the organization that minted it.
export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per (organization, login): inviting again replaces the pending invitation. user_id is
  // null when the login named no user, so such an invitation can never be accepted. Rows are
  // deleted when answered or canceled; expired ones are purged.
  await db.schema
    .createTable('org_invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('invited_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('org_invitations_org_login', ['org_id', 'login'])
    .execute();
  await db.schema.createIndex('org_invitations_login').on('org_invitations').columns(['login', 'expires_at']).execute();
  await db.schema.createIndex('org_invitations_user').on('org_invitations').columns(['user_id', 'expires_at']).execute();
  await db.schema.createIndex('org_invitations_expires').on('org_invitations').column('expires_at').execute();
  // One row per login ever invited: an invitation upserts it first, so on PostgreSQL invitations of
  // one login queue on its row lock and the limit of pending invitations holds under concurrency
  // (SQLite runs writing transactions one at a time anyway).
  await db.schema.createTable('org_invitation_locks').addColumn('login', 'text', (c) => c.primaryKey()).execute();

  // The binding of exchanged personal tokens. Tokens minted before this migration are bound to
  // the organization of the issuer that minted them; one whose issuer is gone stays unbound, and
  // authentication refuses an unbound exchanged personal token (fail closed).
  await db.schema.alterTable('tokens').addColumn('bound_org_id', 'text').execute();
  await sql`UPDATE tokens SET bound_org_id = (SELECT org_id FROM oidc_issuers WHERE oidc_issuers.id = tokens.oidc_issuer_id)
            WHERE type = 'personal' AND source = 'oidc'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('bound_org_id').execute();
  await db.schema.dropTable('org_invitation_locks').execute();
  await db.schema.dropTable('org_invitations').execute();
}
