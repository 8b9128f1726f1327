import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-27-initial.js';

/** Every migration, by name; names sort in the order they run. */
const migrations: Record<string, Migration> = {
  '2026-11-27-initial': initial,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
