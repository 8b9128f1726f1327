import type { Clock } from './clock.js';
import type { Store } from './store.js';
import type { LastUsedTracker } from './tokens/last-used.js';

/** Settings the rules depend on (a subset of the process configuration). */
export interface DomainConfig {
  /** Longest lifetime a new token may have, in seconds. */
  maxTokenLifetimeSeconds: number;
  /** When true, a token without an expiry date is refused. */
  requireTokenExpiry: boolean;
}

/** Everything a domain operation may use; built once in main.ts and passed as an argument. */
export interface Deps {
  store: Store;
  clock: Clock;
  config: DomainConfig;
  lastUsed: LastUsedTracker;
}

/** Where a request came from, recorded on every audit event. */
export interface RequestContext {
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

export const NO_REQUEST: RequestContext = { requestId: null, sourceIp: null, userAgent: null };
