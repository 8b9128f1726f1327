import { DEFAULT_OIDC_TOKEN_RETENTION_SECONDS, DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS, DEFAULT_SESSION_MAX_AGE_SECONDS, type Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import type { Deps } from './domain/deps.js';
import { LastUsedTracker } from './domain/tokens/last-used.js';
import { LoginThrottle } from './domain/sessions/login-throttle.js';
import { TokenAuthThrottle } from './domain/tokens/auth-throttle.js';
import { DeadTokenUses } from './domain/tokens/dead-token-uses.js';
import { CreationThrottle } from './domain/orgs/creation-throttle.js';
import { issuerKeyLoader, IssuerKeys } from './domain/oidc/issuer-keys.js';
import type { IssuerFetchOptions } from './domain/oidc/fetch-issuer-document.js';
import { DryRunThrottle } from './domain/oidc/dry-run-throttle.js';
import { ExchangeThrottle } from './domain/oidc/exchange-throttle.js';
import { RegistrationThrottle } from './domain/oidc/registration-throttle.js';
import { GroupCommit } from './storage/group-commit.js';
import { KyselyStore } from './storage/kysely-store.js';
import { migrate, openDatabase, type OpenDatabase } from './storage/open-database.js';

export interface Services {
  deps: Deps;
  database: OpenDatabase;
  /** Writes pending lastUsed values and closes the database. */
  close(): Promise<void>;
}

/** Opens the database, brings its schema up to date, and wires the domain's dependencies. */
export async function openServices(
  config: Pick<Config, 'databaseUrl' | 'maxTokenLifetimeSeconds' | 'requireTokenExpiry'> & Partial<Pick<Config, 'sessionIdleTimeoutSeconds' | 'sessionMaxAgeSeconds' | 'allowLoopbackIssuers' | 'oidcTokenRetentionSeconds'>>,
  clock: Clock = systemClock,
  /** Test seams for outbound issuer fetches (a resolver, an extra CA); never set in production. */
  issuerFetch: Partial<Omit<IssuerFetchOptions, 'allowLoopback'>> = {},
): Promise<Services> {
  const database = await openDatabase(config.databaseUrl);
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  const store = new KyselyStore(database.db, undefined, database.hotRead, database.dialect === 'sqlite' ? new GroupCommit(database.db, database.walFile) : undefined);
  const lastUsed = new LastUsedTracker(store, clock);
  const fetchOptions: IssuerFetchOptions = { ...issuerFetch, allowLoopback: config.allowLoopbackIssuers ?? false };
  const deps: Deps = {
    store,
    clock,
    config: {
      maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
      requireTokenExpiry: config.requireTokenExpiry,
      sessionIdleTimeoutSeconds: config.sessionIdleTimeoutSeconds ?? DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS,
      sessionMaxAgeSeconds: config.sessionMaxAgeSeconds ?? DEFAULT_SESSION_MAX_AGE_SECONDS,
      allowLoopbackIssuers: config.allowLoopbackIssuers ?? false,
      oidcTokenRetentionSeconds: config.oidcTokenRetentionSeconds ?? DEFAULT_OIDC_TOKEN_RETENTION_SECONDS,
    },
    lastUsed,
    loginThrottle: new LoginThrottle(clock),
    tokenFailures: new TokenAuthThrottle(clock),
    deadTokenUses: new DeadTokenUses(clock),
    orgCreations: new CreationThrottle(clock),
    oidc: { fetch: fetchOptions, keys: new IssuerKeys(clock, issuerKeyLoader(fetchOptions)), registrations: new RegistrationThrottle(clock), exchanges: new ExchangeThrottle(clock), dryRuns: new DryRunThrottle(clock) },
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
