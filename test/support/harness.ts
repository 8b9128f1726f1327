import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import type { Clock } from '../../src/domain/clock.js';
import type { Deps } from '../../src/domain/deps.js';
import { NO_REQUEST } from '../../src/domain/deps.js';
import { SYSTEM, type Principal } from '../../src/domain/principal.js';
import type { Organization, Team, User } from '../../src/domain/records.js';
import { createOrg } from '../../src/domain/orgs/create-org.js';
import { setMember } from '../../src/domain/orgs/set-member.js';
import { createTeam } from '../../src/domain/teams/create-team.js';
import { setTeamMember } from '../../src/domain/teams/set-team-member.js';
import { issueToken, type IssueTokenInput } from '../../src/domain/tokens/issue-token.js';
import type { TokenTarget } from '../../src/domain/tokens/token-scope.js';
import { createUser } from '../../src/domain/users/create-user.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import type { Resolver } from '../../src/domain/oidc/fetch-issuer-document.js';
import { openServices, type Services } from '../../src/services.js';
import { ExchangeThrottle } from '../../src/domain/oidc/exchange-throttle.js';
import { DryRunThrottle } from '../../src/domain/oidc/dry-run-throttle.js';
import { TokenAuthThrottle } from '../../src/domain/tokens/auth-throttle.js';
import { LoginThrottle, type ThrottleLimits } from '../../src/domain/sessions/login-throttle.js';
import { VERSION } from '../../src/version.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';

/** A clock tests move by hand. Starts at a fixed instant so runs are repeatable. */
export class TestClock implements Clock {
  constructor(private ms = Date.UTC(2026, 10, 27, 12, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  nowSec(): number {
    return Math.floor(this.ms / 1000);
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Collects log lines in memory so suites can assert that no secret reached them (rule 9, L01). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface Harness {
  kind: DatabaseKind;
  db: TestDatabase;
  services: Services;
  deps: Deps;
  clock: TestClock;
  app: FastifyInstance;
  logs: LogCapture;
  /** Every secret the suite handled; close() asserts none of them was logged. */
  secrets: Set<string>;
  close(): Promise<void>;
}

/** The hosts the suites address the console by (Host and Origin headers). */
export const TEST_PUBLIC_URLS = ['http://tessera.test', 'https://tessera.test', 'https://tessera.example.com', 'http://tessera.example.com'];

/** Starts Tessera in-process on a fresh database of the given kind, with a test clock and captured logs. */
export async function startHarness(
  kind: DatabaseKind,
  options: Partial<Pick<AppOptions, 'timeouts' | 'trustProxy' | 'publicUrls' | 'loopback'>> & {
    requireTokenExpiry?: boolean;
    maxTokenLifetimeSeconds?: number;
    sessionIdleTimeoutSeconds?: number;
    sessionMaxAgeSeconds?: number;
    /** TESSERA_ALLOW_LOOPBACK_ISSUERS: issuers on http://127.0.0.1 and localhost may be registered. */
    allowLoopbackIssuers?: boolean;
    /** Refused token exchanges per address per window; suites that refuse many lift it (default 10,000 a minute). */
    exchangeRefusalLimit?: { perAddress: number; windowMs: number };
    /** Policy dry runs per caller and organization per window (default 10,000 a minute). */
    dryRunLimit?: { perCaller: number; perOrg: number; windowMs: number };
    /** Sign-in limits (default 5 per account, 20 per address, 15 minutes); suites lower them to spend fewer password hashes. */
    loginLimits?: ThrottleLimits;
    /** Failed token authentications per address per window (A10); suites that send many lift it (default 1,000,000 a minute). */
    tokenFailureLimit?: { perAddress: number; windowMs: number };
    /** TESSERA_OIDC_TOKEN_RETENTION in seconds (default 30 days). */
    oidcTokenRetentionSeconds?: number;
    /** Outbound fetch seams: a resolver for issuer host names, an extra trusted CA (PEM). */
    issuerFetch?: { resolve?: Resolver; ca?: string };
  } = {},
): Promise<Harness> {
  const db = await createTestDatabase(kind);
  const clock = new TestClock();
  const services = await openServices(
    {
      databaseUrl: db.url,
      maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds ?? 2 * 365 * 86400,
      requireTokenExpiry: options.requireTokenExpiry ?? false,
      ...(options.sessionIdleTimeoutSeconds === undefined ? {} : { sessionIdleTimeoutSeconds: options.sessionIdleTimeoutSeconds }),
      ...(options.sessionMaxAgeSeconds === undefined ? {} : { sessionMaxAgeSeconds: options.sessionMaxAgeSeconds }),
      allowLoopbackIssuers: options.allowLoopbackIssuers ?? false,
      ...(options.oidcTokenRetentionSeconds === undefined ? {} : { oidcTokenRetentionSeconds: options.oidcTokenRetentionSeconds }),
    },
    clock,
    options.issuerFetch ?? {},
  );
  // The catalog suites send hundreds of refused exchanges from one address on a frozen clock.
  services.deps.oidc.exchanges = new ExchangeThrottle(clock, options.exchangeRefusalLimit ?? { perAddress: 10_000, windowMs: 60_000 });
  // And dozens of policy dry runs as one admin; the X06 suite sets the production limit.
  services.deps.oidc.dryRuns = new DryRunThrottle(clock, options.dryRunLimit ?? { perCaller: 10_000, perOrg: 10_000, windowMs: 60_000 });
  if (options.loginLimits) services.deps.loginThrottle = new LoginThrottle(clock, options.loginLimits);
  // Timing suites (A08) send thousands of unknown tokens from one address on a frozen clock.
  services.deps.tokenFailures = new TokenAuthThrottle(clock, options.tokenFailureLimit ?? { perAddress: 1_000_000, windowMs: 60_000 });
  const logs = new LogCapture();
  const app = await buildApp(services.deps, {
    logger: pino({ level: 'debug' }, logs),
    version: VERSION,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    // TESSERA_PUBLIC_URL as an operator of the suites' made-up hosts would set it; loopback names
    // (inject's own `localhost:80`, a harness listening on 127.0.0.1) are accepted as well.
    publicUrls: options.publicUrls ?? TEST_PUBLIC_URLS,
    loopback: options.loopback ?? true,
  });
  await app.ready();
  const secrets = new Set<string>();
  return {
    kind,
    db,
    services,
    deps: services.deps,
    clock,
    app,
    logs,
    secrets,
    close: async () => {
      await app.close();
      await services.close();
      await db.drop();
      const text = logs.text();
      for (const s of secrets) assert.ok(!text.includes(s), 'a secret reached the logs');
    },
  };
}

let counter = 0;
/** A unique, valid login or organization name. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}${Math.random().toString(36).slice(2, 6)}`;
}

/** Fixtures made through domain functions, so they obey the same rules as real data. */
export async function makeUser(h: Harness, opts: { login?: string; siteAdmin?: boolean } = {}): Promise<User> {
  return createUser(h.deps, NO_REQUEST, SYSTEM, { login: opts.login ?? uniqueName('user'), email: 'someone@example.com', siteAdmin: opts.siteAdmin ?? false });
}

export async function makeToken(h: Harness, principal: Principal, target: TokenTarget, input: Partial<IssueTokenInput> = {}): Promise<{ id: string; value: string }> {
  const { token, tokenValue } = await issueToken(h.deps, NO_REQUEST, principal, target, { source: 'api', ...input });
  h.secrets.add(tokenValue);
  return { id: token.id, value: tokenValue };
}

/** A user with a personal token. */
export async function makePerson(h: Harness, opts: { login?: string; siteAdmin?: boolean } = {}): Promise<{ user: User; token: string; principal: Principal }> {
  const user = await makeUser(h, opts);
  const principal: Principal = { kind: 'user', user, token: null };
  const { value } = await makeToken(h, principal, { type: 'personal' });
  return { user, token: value, principal };
}

export async function makeOrg(h: Harness, owner: User, name = uniqueName('org')): Promise<Organization> {
  return createOrg(h.deps, NO_REQUEST, SYSTEM, name, owner);
}

export async function addMember(h: Harness, org: Organization, user: User, role: 'admin' | 'member' = 'member'): Promise<void> {
  await setMember(h.deps, NO_REQUEST, SYSTEM, org.name, user.login, role);
}

export async function makeTeam(h: Harness, org: Organization, name = uniqueName('team')): Promise<Team> {
  return createTeam(h.deps, NO_REQUEST, SYSTEM, org.name, { name });
}

export async function addTeamMember(h: Harness, org: Organization, team: Team, user: User, role: 'maintainer' | 'member' = 'member'): Promise<void> {
  await setTeamMember(h.deps, NO_REQUEST, SYSTEM, org.name, team.name, user.login, role);
}

/** Sends a request through inject() with a token, remembering any token value the reply reveals. */
export async function call(
  h: Harness,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers.authorization = `token ${opts.token}`;
  const res = await h.app.inject({
    method,
    url,
    headers,
    ...(opts.body === undefined ? {} : { payload: opts.body as string | object }),
  });
  if (String(res.headers['content-type'] ?? '').includes('json') && res.body.includes('tokenValue')) {
    const v = (res.json() as { tokenValue?: string }).tokenValue;
    if (v) h.secrets.add(v);
  }
  return res;
}

/** Asserts the REST error shape and returns the body. */
export function expectError(res: LightMyRequestResponse, status: number, reason?: string): { code: number; message: string; reason: string; requestId: string } {
  assert.equal(res.statusCode, status, `expected ${status}, got ${res.statusCode}: ${res.body}`);
  const body = res.json() as { code: number; message: string; reason: string; requestId: string };
  assert.equal(body.code, status);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.requestId.length > 0);
  assert.equal(res.headers['x-request-id'], body.requestId);
  if (reason !== undefined) assert.equal(body.reason, reason);
  return body;
}
