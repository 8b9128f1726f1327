import type { Kysely } from 'kysely';

// Single use of exchanged ID tokens (API.md section 7, catalog J19): one row per (issuer, jti),
// kept until the JWT's `exp` plus the clock leeway. The primary key decides between two racing
// exchanges of the same JWT; the row is inserted in the transaction that mints the token.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_jti')
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('oidc_issuers.id').onDelete('cascade'))
    .addColumn('jti', 'text', (c) => c.notNull())
    // Unix seconds: the JWT's exp + leeway; after it the row may go.
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('oidc_jti_pk', ['issuer_id', 'jti'])
    .execute();
  await db.schema.createIndex('oidc_jti_expires').on('oidc_jti').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oidc_jti').execute();
}
