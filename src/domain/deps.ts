import type { Clock } from './clock.js';
import type { Store } from './store.js';
import type { LoginThrottle } from './sessions/login-throttle.js';
import type { LastUsedTracker } from './tokens/last-used.js';

/** Settings the rules depend on (a subset of the process configuration). */
export interface DomainConfig {
  /** Longest lifetime a new token may have, in seconds. */
  maxTokenLifetimeSeconds: number;
  /** When true, a token without an expiry date is refused. */
  requireTokenExpiry: boolean;
  /** A console session ends after this long without a request. */
  sessionIdleTimeoutSeconds: number;
  /** A console session ends this long after sign-in, however active. */
  sessionMaxAgeSeconds: number;
}

/** Everything a domain operation may use; built once in main.ts and passed as an argument. */
export interface Deps {
  store: Store;
  clock: Clock;
  config: DomainConfig;
  lastUsed: LastUsedTracker;
  /** Failed sign-in counters, in this process's memory. */
  loginThrottle: LoginThrottle;
}

/** Where a request came from, recorded on every audit event. */
export interface RequestContext {
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

export const NO_REQUEST: RequestContext = { requestId: null, sourceIp: null, userAgent: null };
