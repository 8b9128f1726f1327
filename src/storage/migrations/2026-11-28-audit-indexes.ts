import type { Kysely } from 'kysely';

// Indexes for the audit log API (GET /api/orgs/{org}/auditlogs and its export). Listings are
// newest first by (occurred_at, id) within one organization, optionally narrowed to one actor or
// one action, and paged by a keyset cursor on (occurred_at, id). With the id in the index the
// database walks it in order and stops after a page; without it, every event of the same
// millisecond range would be sorted. The actor and action indexes keep a filtered listing from
// scanning the whole organization's history for a rare login or event.
//
// audit_events_org_time (org_id, occurred_at) from the initial migration is a prefix of the new
// (org_id, occurred_at, id), so it is dropped rather than kept up to date on every insert.
//
// Dated the 28th so its name sorts after 2026-11-27-initial: Kysely runs migrations in name order
// and refuses a new one that sorts before one already applied.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_events_org_time_id').on('audit_events').columns(['org_id', 'occurred_at', 'id']).execute();
  await db.schema.createIndex('audit_events_org_actor').on('audit_events').columns(['org_id', 'actor_login', 'occurred_at', 'id']).execute();
  await db.schema.createIndex('audit_events_org_action').on('audit_events').columns(['org_id', 'action', 'occurred_at', 'id']).execute();
  await db.schema.dropIndex('audit_events_org_time').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_events_org_time').on('audit_events').columns(['org_id', 'occurred_at']).execute();
  await db.schema.dropIndex('audit_events_org_action').execute();
  await db.schema.dropIndex('audit_events_org_actor').execute();
  await db.schema.dropIndex('audit_events_org_time_id').execute();
}
