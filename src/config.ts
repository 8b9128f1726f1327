import { isIP } from 'node:net';
import type { DomainConfig } from './domain/deps.js';
import { parseDuration } from './domain/when.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config extends DomainConfig {
  databaseUrl: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Reverse proxies whose X-Forwarded-* headers are believed; empty: none. */
  trustProxy: string[];
  /** TESSERA_PUBLIC_URL: where users and clients reach this server, the first canonical. */
  publicUrls: string[];
  /** Whether `host` is a loopback address or name (then the public URL defaults to the listen URL). */
  listensOnLoopback: boolean;
}

/** Values given on the command line; they win over the environment. */
export interface ConfigOverrides {
  database?: string;
  host?: string;
  port?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const TWO_YEARS = 2 * 365 * 86400;
/** OWASP Session Management: 15-30 minutes idle for a low-risk application; 12 hours at most in all. */
export const DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60;
export const DEFAULT_SESSION_MAX_AGE_SECONDS = 12 * 3600;
export const DEFAULT_OIDC_TOKEN_RETENTION_SECONDS = 30 * 86400;

/**
 * Reads configuration from the environment (the only reader of process.env) and command-line
 * overrides. Every problem is reported at once, each naming the variable; nothing falls back to a
 * default when a value was given but is bad.
 */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): Config {
  const problems: string[] = [];
  const pick = (name: string, flag: string | undefined): string | undefined => flag ?? (env[name] === '' ? undefined : env[name]);

  const databaseUrl = pick('TESSERA_DATABASE_URL', overrides.database) ?? 'sqlite:data/tessera.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    problems.push(`TESSERA_DATABASE_URL (--database) must be sqlite:<path> or postgres://…, got '${redactUrl(databaseUrl)}'`);
  }

  const host = pick('TESSERA_HOST', overrides.host) ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) problems.push(`TESSERA_HOST (--host) is not a host name or address: '${host}'`);

  const portText = pick('TESSERA_PORT', overrides.port) ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) problems.push(`TESSERA_PORT (--port) must be a port number 0-65535, got '${portText}'`);

  const lifetimeText = pick('TESSERA_MAX_TOKEN_LIFETIME', undefined);
  const maxTokenLifetimeSeconds = lifetimeText === undefined ? TWO_YEARS : parseDuration(lifetimeText);
  if (maxTokenLifetimeSeconds === undefined || maxTokenLifetimeSeconds <= 0) {
    problems.push(`TESSERA_MAX_TOKEN_LIFETIME must be a duration such as 90d or 2y, got '${lifetimeText}'`);
  }

  const requireText = pick('TESSERA_REQUIRE_TOKEN_EXPIRY', undefined) ?? '0';
  if (!['0', '1', 'true', 'false'].includes(requireText)) problems.push(`TESSERA_REQUIRE_TOKEN_EXPIRY must be 0, 1, true or false, got '${requireText}'`);

  const idleText = pick('TESSERA_SESSION_IDLE_TIMEOUT', undefined);
  const sessionIdleTimeoutSeconds = idleText === undefined ? DEFAULT_SESSION_IDLE_TIMEOUT_SECONDS : parseDuration(idleText);
  // At least a minute: the last-seen time of a session is written at most once a minute.
  if (sessionIdleTimeoutSeconds === undefined || sessionIdleTimeoutSeconds < 60) {
    problems.push(`TESSERA_SESSION_IDLE_TIMEOUT must be a duration of at least 1m, such as 30m or 2h, got '${idleText}'`);
  }
  const maxAgeText = pick('TESSERA_SESSION_MAX_AGE', undefined);
  const sessionMaxAgeSeconds = maxAgeText === undefined ? DEFAULT_SESSION_MAX_AGE_SECONDS : parseDuration(maxAgeText);
  if (sessionMaxAgeSeconds === undefined || sessionMaxAgeSeconds < 60) {
    problems.push(`TESSERA_SESSION_MAX_AGE must be a duration of at least 1m, such as 12h or 1d, got '${maxAgeText}'`);
  } else if (sessionIdleTimeoutSeconds !== undefined && sessionIdleTimeoutSeconds > sessionMaxAgeSeconds) {
    problems.push(`TESSERA_SESSION_IDLE_TIMEOUT (${idleText ?? '30m'}) must not be longer than TESSERA_SESSION_MAX_AGE (${maxAgeText ?? '12h'})`);
  }

  const loopbackText = pick('TESSERA_ALLOW_LOOPBACK_ISSUERS', undefined) ?? '0';
  if (!['0', '1', 'true', 'false'].includes(loopbackText)) problems.push(`TESSERA_ALLOW_LOOPBACK_ISSUERS must be 0, 1, true or false, got '${loopbackText}'`);

  const retentionText = pick('TESSERA_OIDC_TOKEN_RETENTION', undefined);
  const oidcTokenRetentionSeconds = retentionText === undefined ? DEFAULT_OIDC_TOKEN_RETENTION_SECONDS : retentionText === '0' ? 0 : parseDuration(retentionText);
  if (oidcTokenRetentionSeconds === undefined || oidcTokenRetentionSeconds < 0) {
    problems.push(`TESSERA_OIDC_TOKEN_RETENTION must be a duration such as 30d or 12h, or 0 to keep exchanged tokens, got '${retentionText}'`);
  }

  const proxyText = pick('TESSERA_TRUST_PROXY', undefined) ?? '';
  const trustProxy = proxyText.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const entry of trustProxy) {
    if (!isProxyEntry(entry)) {
      problems.push(`TESSERA_TRUST_PROXY must list proxy addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated; '${entry}' is none of these`);
    }
  }

  // X07: console, sign-in and setup answer only for these hosts. Required off loopback, where no
  // default could be right; on loopback the listen URL (loopback names are accepted as well).
  const listensOnLoopback = isLoopbackHost(host);
  const publicText = pick('TESSERA_PUBLIC_URL', undefined);
  const publicUrls: string[] = [];
  if (publicText === undefined) {
    if (!listensOnLoopback) problems.push(`TESSERA_PUBLIC_URL is required when listening on a non-loopback address (TESSERA_HOST '${host}'): the URL users and clients reach Tessera at, such as https://tessera.example.com`);
    else publicUrls.push(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${portText}`);
  } else {
    for (const entry of publicText.split(',').map((u) => u.trim())) {
      const problem = publicUrlProblem(entry);
      if (problem === undefined) publicUrls.push(new URL(entry).origin);
      else problems.push(`TESSERA_PUBLIC_URL must be one URL or a comma-separated list of http(s) URLs without path, query or credentials; '${entry}' ${problem}`);
    }
  }

  const logLevel = (pick('TESSERA_LOG_LEVEL', undefined) ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`TESSERA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl,
    host,
    port,
    logLevel,
    maxTokenLifetimeSeconds: maxTokenLifetimeSeconds!,
    requireTokenExpiry: requireText === '1' || requireText === 'true',
    sessionIdleTimeoutSeconds: sessionIdleTimeoutSeconds!,
    sessionMaxAgeSeconds: sessionMaxAgeSeconds!,
    allowLoopbackIssuers: loopbackText === '1' || loopbackText === 'true',
    oidcTokenRetentionSeconds: oidcTokenRetentionSeconds!,
    trustProxy,
    publicUrls,
    listensOnLoopback,
  };
}

/** 127.0.0.0/8, ::1 or localhost: reachable from this machine only. */
function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return isIP(bare) === 6 && /^(0{0,4}:){2,7}0{0,3}1$/.test(bare);
}

/** Why a TESSERA_PUBLIC_URL entry is unusable, or undefined when it is a bare http(s) origin. */
function publicUrlProblem(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'is not http or https';
  if (url.username !== '' || url.password !== '') return 'carries credentials';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') return 'has a path, query or fragment';
  return undefined;
}

/** An address, a CIDR range, or one of proxy-addr's named ranges. */
function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** A database URL with any password replaced, safe to print. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
