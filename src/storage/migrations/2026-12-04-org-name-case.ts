import { sql, type Kysely } from 'kysely';

// X13: organization names are unique ignoring case, so `Acme` cannot stand beside `acme` (and be
// mistaken for it in an audience URN, a URL or the console). An expression index on lower(name)
// works in SQLite and PostgreSQL alike; names are ASCII, which both fold the same way.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Two existing organizations that differ only in case would make the index fail with an opaque
  // error; say which ones instead. Renaming one is the operator's decision, not the migration's.
  const { rows } = await sql<{ folded: string; names: string }>`
    select lower(name) as folded, count(*) as names from organizations group by lower(name) having count(*) > 1
  `.execute(db);
  if (rows.length > 0) {
    throw new Error(
      `organization names must be unique ignoring case, but these exist in several spellings: ${rows.map((r) => r.folded).join(', ')}; rename all but one of each (in the database) and start again`,
    );
  }
  await db.schema.createIndex('organizations_name_lower').on('organizations').unique().expression(sql`lower(name)`).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('organizations_name_lower').execute();
}
