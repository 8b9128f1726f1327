import type { Kysely } from 'kysely';

// Trusted OIDC issuers and their auth policies (API.md section 6). JSON values (thumbprints, a
// static key set, the policy list) are stored as text, which both databases handle alike.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_issuers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('thumbprints', 'text', (c) => c.notNull())
    .addColumn('max_expiration', 'integer', (c) => c.notNull().defaultTo(90000))
    .addColumn('jwks', 'text')
    .addColumn('jwks_uri', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used', 'bigint', (c) => c.notNull().defaultTo(0))
    // Names and URLs are unique per organization: a JWT's `iss` must identify one issuer.
    .addUniqueConstraint('oidc_issuers_org_name', ['org_id', 'name'])
    .addUniqueConstraint('oidc_issuers_org_url', ['org_id', 'url'])
    .execute();

  await db.schema
    .createTable('auth_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull().unique().references('oidc_issuers.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('policies', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('auth_policies').execute();
  await db.schema.dropTable('oidc_issuers').execute();
}
