import { sql, type Kysely } from 'kysely';

// When the password was last proven in a console session (catalog W08): sensitive actions through
// a session need a recent proof. Sessions that exist already were begun by a sign-in, so their
// creation time is their last proof.
export async function up(db: Kysely<unknown>): Promise<void> {
  // SQLite adds a NOT NULL column only with a default; every insert names the column anyway.
  await db.schema
    .alterTable('sessions')
    .addColumn('password_verified_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update sessions set password_verified_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('password_verified_at').execute();
}
