import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import type { Deps } from './domain/deps.js';
import { LastUsedTracker } from './domain/tokens/last-used.js';
import { KyselyStore } from './storage/kysely-store.js';
import { migrate, openDatabase, type OpenDatabase } from './storage/open-database.js';

export interface Services {
  deps: Deps;
  database: OpenDatabase;
  /** Writes pending lastUsed values and closes the database. */
  close(): Promise<void>;
}

/** Opens the database, brings its schema up to date, and wires the domain's dependencies. */
export async function openServices(config: Pick<Config, 'databaseUrl' | 'maxTokenLifetimeSeconds' | 'requireTokenExpiry'>, clock: Clock = systemClock): Promise<Services> {
  const database = await openDatabase(config.databaseUrl);
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  const store = new KyselyStore(database.db, undefined, database.hotRead);
  const lastUsed = new LastUsedTracker(store, clock);
  const deps: Deps = {
    store,
    clock,
    config: { maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds, requireTokenExpiry: config.requireTokenExpiry },
    lastUsed,
  };
  return {
    deps,
    database,
    close: async () => {
      await lastUsed.stop();
      await database.close();
    },
  };
}
