import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDuration } from '../domain/when.js';
import type { ApiTokenExchange } from './api-types.js';
import { CliError, oneLine } from './cli-error.js';
import { normalizeBaseUrl, USER_AGENT } from './http-client.js';
import { githubIdToken, type GithubEnv } from './oidc-github.js';
import { readSubjectToken, unverifiedClaims, withoutSecret } from './oidc-input.js';

/**
 * OIDC token exchange as the Pulumi CLI performs it (`pulumi login --oidc-token`), shared by
 * `tessera login --oidc-token` and `tessera oidc exchange`: where the ID token comes from, which
 * organization, team or user it is exchanged for, and the request to `POST /api/oauth/token`
 * (API.md section 7).
 */

export type ExchangeTokenType = 'organization' | 'team' | 'personal';

/** The exchange options, whatever a command calls them. */
export interface ExchangeFlags {
  token?: string;
  github?: boolean;
  org?: string;
  team?: string;
  user?: string;
  admin?: boolean;
  /** Seconds (parsed by parseExpiration). */
  expiration: number;
}

export interface ExchangeRequest {
  org: string;
  tokenType: ExchangeTokenType;
  /** `''`, `admin`, `team:<name>` or `user:<login>`. */
  scope: string;
  expiration: number;
  subjectToken: string;
}

const ORG_AUDIENCE = /^urn:(?:pulumi|tessera):org:([^:]+)$/;
/** What the Pulumi CLI asks for when no expiration is given. */
const DEFAULT_EXPIRATION = '2h';
export const EXPIRATION_HELP = 'a duration such as 30m, 2h or 1d, or a number of seconds';

/** `--expiration` / `--oidc-expiration`: a positive number of seconds; anything else is a usage error. */
export function parseExpiration(value: string): number {
  const text = value.trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  if (seconds === undefined || !Number.isSafeInteger(seconds) || seconds <= 0) throw new InvalidArgumentError(`Expected ${EXPIRATION_HELP}, greater than zero.`);
  return seconds;
}

/** The audience that names an organization on the wire. */
export const audienceOf = (org: string): string => `urn:pulumi:org:${org}`;

/**
 * Adds the exchange options to `cmd`. `prefix` is `oidc-` for `tessera login` (as `pulumi login`
 * spells them) and empty for `tessera oidc exchange`; `--github` has no prefix.
 */
export function addExchangeOptions(cmd: Command, prefix: '' | 'oidc-'): Command {
  const p = `--${prefix}`;
  return cmd
    .addOption(
      new Option(`${p}token <jwt|@file|->`, 'the OIDC ID token to exchange: the JWT itself, @<file> to read it from a file, or - to read it from stdin').conflicts('github'),
    )
    .option('--github', `request the ID token from GitHub Actions, for the organization given by ${p}org (the job needs \`permissions: id-token: write\`)`)
    .option(`${p}org <org>`, 'organization to exchange with, sent as the audience urn:pulumi:org:<org> (default: from the token\'s aud claim)')
    // conflicts() takes attribute names: user, or oidcUser for --oidc-user.
    .addOption(new Option(`${p}team <team>`, 'exchange for a token of this team (default: an organization token)').conflicts(prefix ? 'oidcUser' : 'user'))
    .option(`${p}user <login>`, 'exchange for a personal token of this user')
    .addOption(
      new Option(`${p}expiration <duration>`, `lifetime of the access token: ${EXPIRATION_HELP}; the issuer's maximum may shorten it`)
        .argParser(parseExpiration)
        .default(parseExpiration(DEFAULT_EXPIRATION), DEFAULT_EXPIRATION),
    );
}

/** Help text shared by the two commands: how defaults come from the token. */
export const EXCHANGE_DEFAULTS_HELP = `Without an organization option the organization is read from the token's aud claim
(urn:pulumi:org:<org>), and a team or user from its scope claim (team:<name>, user:<login>), as the
Pulumi CLI does; an option that disagrees with the token is an error. The token is read without
verifying it: the server verifies it. A token on the command line is visible to other users of
the machine in the process list: prefer @<file> or -.`;

const usage = (cmd: Command, message: string): never => cmd.error(`error: ${message}`, { exitCode: 2, code: 'tessera.usage' });

interface ClaimDefaults {
  org?: string;
  team?: string;
  user?: string;
}

/**
 * What the token's claims say, as the Pulumi CLI reads them: the organization from an `aud` of
 * the form `urn:pulumi:org:<org>` (Tessera's `urn:tessera:org:<org>` too, and an array whose
 * elements all name one organization), the team and user from `team:<name>` / `user:<login>`
 * entries of a `scope` claim (a space-separated string or an array).
 */
function claimDefaults(jwt: string): ClaimDefaults {
  const claims = unverifiedClaims(jwt);
  if (!claims) return {};
  const defaults: ClaimDefaults = {};
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const orgs = new Set(audiences.map((a) => (typeof a === 'string' ? ORG_AUDIENCE.exec(a)?.[1] : undefined)));
  const [org] = orgs;
  if (orgs.size === 1 && org !== undefined) defaults.org = org;
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/) : Array.isArray(claims.scope) ? claims.scope : [];
  for (const s of scopes) {
    if (typeof s !== 'string') continue;
    if (s.startsWith('team:')) defaults.team = s.slice('team:'.length);
    if (s.startsWith('user:')) defaults.user = s.slice('user:'.length);
  }
  if (defaults.team !== undefined && defaults.user !== undefined) {
    throw new CliError('the token\'s scope claim names both a team and a user; only one can be exchanged for');
  }
  return defaults;
}

/** Fills in what the flags leave open from the claims; a flag that disagrees with them is an error. */
function merge(flags: ExchangeFlags, fromClaims: ClaimDefaults, names: { org: string; team: string; user: string }): ClaimDefaults {
  const out: ClaimDefaults = {};
  for (const key of ['org', 'team', 'user'] as const) {
    const given = flags[key];
    const claimed = fromClaims[key];
    if (given !== undefined && claimed !== undefined && given !== claimed) {
      const where = key === 'org' ? 'aud claim' : 'scope claim';
      throw new CliError(`${names[key]} '${oneLine(given)}' disagrees with the token's ${where}, which names '${oneLine(claimed)}'; omit ${names[key]} or make it match`);
    }
    const value = given ?? claimed;
    if (value !== undefined) out[key] = value;
  }
  // A team from the flags and a user from the token (or the reverse) are as contradictory as two flags.
  if (out.team !== undefined && out.user !== undefined) throw new CliError(`${names.team} and ${names.user} cannot both apply (one comes from the token's scope claim)`);
  return out;
}

/**
 * Turns the exchange flags into a request: reads the ID token (flag, file, stdin or GitHub
 * Actions), resolves organization, team and user, and checks what can be checked before sending.
 * Bad usage exits 2; a token that cannot be read or contradicts the flags is a CliError (exit 1).
 */
export async function resolveExchange(cmd: Command, flags: ExchangeFlags, prefix: '' | 'oidc-', env: GithubEnv): Promise<ExchangeRequest> {
  const names = { org: `--${prefix}org`, team: `--${prefix}team`, user: `--${prefix}user`, token: `--${prefix}token` };
  if (flags.token === undefined && !flags.github) usage(cmd, `give the ID token with ${names.token} <jwt|@file|-> or --github`);
  // The organization is the audience of the token GitHub signs, so it is needed first.
  if (flags.github && flags.org === undefined) usage(cmd, `--github needs ${names.org}: it is the audience of the ID token GitHub Actions signs`);

  const subjectToken = flags.github
    ? await githubIdToken(env, audienceOf(flags.org!))
    : await readSubjectToken(flags.token!, `the ID token given with ${names.token}`);
  const target = merge(flags, claimDefaults(subjectToken), names);
  if (target.org === undefined) usage(cmd, `no organization: give ${names.org} (the token's aud claim does not name one as urn:pulumi:org:<org>)`);
  // --admin conflicts with --team and --user (commander); here the team or user came from the token.
  if (flags.admin && (target.team !== undefined || target.user !== undefined)) throw new CliError('--admin applies to organization tokens only, and the token\'s scope claim names a team or user');

  const tokenType: ExchangeTokenType = target.team !== undefined ? 'team' : target.user !== undefined ? 'personal' : 'organization';
  const scope = target.team !== undefined ? `team:${target.team}` : target.user !== undefined ? `user:${target.user}` : flags.admin ? 'admin' : '';
  return { org: target.org!, tokenType, scope, expiration: flags.expiration, subjectToken };
}

/** An OAuth error answer of the token endpoint (API.md section 1). */
export class OAuthError extends CliError {
  constructor(
    readonly error: string,
    readonly requestId: string | undefined,
    description: string,
  ) {
    super(`${description} (${error}${requestId ? `, request ${requestId}` : ''})`);
    this.name = 'OAuthError';
  }
}

const TIMEOUT_MS = 30_000;

/**
 * `POST /api/oauth/token` with the form body the Pulumi CLI sends (every parameter present, in
 * Go's url.Values order, expiration as a string). No Authorization header: the ID token is the
 * credential.
 */
export async function exchangeToken(serverUrl: string, request: ExchangeRequest): Promise<ApiTokenExchange> {
  const baseUrl = normalizeBaseUrl(serverUrl);
  const body = new URLSearchParams([
    ['audience', audienceOf(request.org)],
    ['expiration', String(request.expiration)],
    ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    ['requested_token_type', `urn:pulumi:token-type:access_token:${request.tokenType}`],
    ['scope', request.scope],
    ['subject_token', request.subjectToken],
    ['subject_token_type', 'urn:ietf:params:oauth:token-type:id_token'],
  ]);
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${baseUrl}/api/oauth/token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT },
      body: body.toString(),
      // Following a redirect would resend the ID token to wherever it points.
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await res.text();
  } catch (err) {
    const e = err as { name?: string; code?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError') throw new CliError(`the Tessera server at ${baseUrl} did not answer within ${TIMEOUT_MS / 1000} s`);
    throw new CliError(`cannot reach the Tessera server at ${baseUrl} (${e.cause?.code ?? e.code ?? 'error'}); check the URL (--url or TESSERA_URL) and that the server is running`);
  }
  const parsed = parseJson(text);
  if (!res.ok) {
    const o = parsed as { error?: unknown; error_description?: unknown; request_id?: unknown } | undefined;
    if (typeof o?.error === 'string') {
      const description = typeof o.error_description === 'string' ? o.error_description : 'the token exchange was refused';
      const requestId = typeof o.request_id === 'string' ? o.request_id : (res.headers.get('x-request-id') ?? undefined);
      throw new OAuthError(oneLine(o.error), requestId && oneLine(requestId), withoutSecret(oneLine(description), request.subjectToken));
    }
    throw new CliError(`${baseUrl} answered HTTP ${res.status} to the token exchange; is it a Tessera server?`);
  }
  const answer = parsed as Partial<ApiTokenExchange> | undefined;
  if (typeof answer?.access_token !== 'string' || !/^[\x21-\x7e]+$/.test(answer.access_token) || typeof answer.expires_in !== 'number') {
    throw new CliError(`${baseUrl} did not answer the token exchange with an access token; is it a Tessera server?`);
  }
  return answer as ApiTokenExchange;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
