import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-27-initial.js';
import * as auditIndexes from './2026-11-28-audit-indexes.js';
import * as sessions from './2026-11-28-sessions.js';
import * as oidcIssuers from './2026-11-29-oidc-issuers.js';
import * as oidcJti from './2026-11-30-oidc-jti.js';
import * as oidcTokenPurge from './2026-12-01-oidc-token-purge.js';
import * as memberInvitations from './2026-12-04-member-invitations.js';
import * as sessionReauth from './2026-12-04-session-reauth.js';
import * as orgNameCase from './2026-12-04-org-name-case.js';

/** Every migration, by name; names sort in the order they run. */
const migrations: Record<string, Migration> = {
  '2026-11-27-initial': initial,
  '2026-11-28-audit-indexes': auditIndexes,
  '2026-11-28-sessions': sessions,
  '2026-11-29-oidc-issuers': oidcIssuers,
  '2026-11-30-oidc-jti': oidcJti,
  '2026-12-01-oidc-token-purge': oidcTokenPurge,
  '2026-12-04-member-invitations': memberInvitations,
  '2026-12-04-session-reauth': sessionReauth,
  '2026-12-04-org-name-case': orgNameCase,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
