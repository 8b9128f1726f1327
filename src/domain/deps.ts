import type { DryRunThrottle } from './oidc/dry-run-throttle.js';
import type { ExchangeThrottle } from './oidc/exchange-throttle.js';
import type { Clock } from './clock.js';
import type { Store } from './store.js';
import type { LoginThrottle } from './sessions/login-throttle.js';
import type { LastUsedTracker } from './tokens/last-used.js';
import type { TokenAuthThrottle } from './tokens/auth-throttle.js';
import type { DeadTokenUses } from './tokens/dead-token-uses.js';
import type { CreationThrottle } from './orgs/creation-throttle.js';
import type { IssuerFetchOptions } from './oidc/fetch-issuer-document.js';
import type { IssuerKeys } from './oidc/issuer-keys.js';
import type { RegistrationThrottle } from './oidc/registration-throttle.js';

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
  /** Development only: issuers on http://127.0.0.1 and http://localhost may be registered. */
  allowLoopbackIssuers: boolean;
  /** Exchanged tokens are deleted this long after they expire; 0 keeps them. */
  oidcTokenRetentionSeconds: number;
}

/** What OIDC issuer operations share: the outbound fetch policy, the key cache, the registration limit. */
export interface OidcDeps {
  fetch: IssuerFetchOptions;
  keys: IssuerKeys;
  registrations: RegistrationThrottle;
  /** Refused token exchanges per source address. */
  exchanges: ExchangeThrottle;
  /** Policy dry runs per caller and per organization (X06). */
  dryRuns: DryRunThrottle;
}

/** Everything a domain operation may use; built once in main.ts and passed as an argument. */
export interface Deps {
  store: Store;
  clock: Clock;
  config: DomainConfig;
  lastUsed: LastUsedTracker;
  /** Failed sign-in counters, in this process's memory. */
  loginThrottle: LoginThrottle;
  /** Failed token authentications per source address, in this process's memory (A10). */
  tokenFailures: TokenAuthThrottle;
  /** Uses of revoked and expired tokens counted between audit rows, in this process's memory (X05). */
  deadTokenUses: DeadTokenUses;
  /** Organizations created per user, in this process's memory (X14). */
  orgCreations: CreationThrottle;
  oidc: OidcDeps;
}

/** Where a request came from, recorded on every audit event. */
export interface RequestContext {
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

export const NO_REQUEST: RequestContext = { requestId: null, sourceIp: null, userAgent: null };
