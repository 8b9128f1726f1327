import type { Kysely } from 'kysely';

// The purge of expired exchanged tokens (docs/decisions.md, "Retention of exchanged tokens")
// deletes by (source, expires); this index keeps it from scanning every token.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('tokens_source_expires').on('tokens').columns(['source', 'expires']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tokens_source_expires').execute();
}
