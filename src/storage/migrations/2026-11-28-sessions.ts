import { sql, type Kysely } from 'kysely';

// Console sessions and the first-run setup marker. Like every migration, it uses the schema
// builder on an untyped Kysely and never imports application code.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Only the SHA-256 of a session id is stored; the id itself lives in the browser's cookie.
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('source_ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

  // One row at most, with a fixed primary key: of two first-run setups racing, the database lets
  // exactly one insert it. The check constraint keeps a second row with another id out.
  await db.schema
    .createTable('setup')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('completed_at', 'bigint', (c) => c.notNull())
    .execute();
  // A database that already has users (made with `tessera admin create-user`) is set up.
  await sql`insert into setup (id, completed_at) select 1, created_at from users order by created_at limit 1`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('setup').execute();
  await db.schema.dropTable('sessions').execute();
}
