import { ORG_NAME } from '../orgs/create-org.js';
import type { TokenType } from '../tokens/token-format.js';
import { LOGIN } from '../users/create-user.js';
import type { PolicyRequest } from './evaluate-policies.js';
import { KNOWN_PARAMETERS, MAX_PARAMETERS, type ExchangeFailure, type ExchangeParams } from './exchange-params.js';

export { paramsFromForm, paramsFromJson, BODY_FAILURE_DESCRIPTIONS, KNOWN_PARAMETERS, MAX_PARAMETERS } from './exchange-params.js';
export type { ExchangeFailure, ExchangeParams, ParamsResult } from './exchange-params.js';

/**
 * The first check of a token exchange (API.md section 7, "parameters well-formed"): the pure
 * parsing and validation of `POST /api/oauth/token`'s parameters, before any JWT, key or database
 * work. RFC 8693 §2.1 and RFC 6749 §3.2 rules, catalog rows T01-T05, T07-T09, T13, J11, J24.
 *
 * Decisions (where the RFCs or API.md leave room):
 * - Empty values count as omitted (RFC 6749 §3.2); the Pulumi CLI sends `scope=` for organization
 *   tokens. Unknown parameters are ignored, whatever their value (T09).
 * - A known parameter other than `audience` and `resource` given more than once is refused, even
 *   when some of the occurrences are empty (T08): two readings of one request are refused rather
 *   than resolved.
 * - `requested_token_type` is required. Every Pulumi client sends it; defaulting would silently
 *   pick a kind of token (the broadest, `organization`) for a caller that did not ask for one.
 * - `audience` is required; `resource` is read the same way. Every non-empty occurrence of either
 *   must be `urn:pulumi:org:<org>` or `urn:tessera:org:<org>` with a valid organization name, and
 *   together they must name exactly one organization (the same name, compared exactly), otherwise
 *   `invalid_target`. The URNs as sent are kept in `audienceUris` for the JWT `aud` check.
 * - `scope` is one value, not a space-separated list: organization `admin` or nothing, team
 *   `team:<name>`, personal `user:<login>`, names by the same rules as creating the team or user.
 * - `expiration` is a whole number of seconds from 1 to ten years, given as a JSON number or a
 *   string of decimal digits; absent or empty means 7200. Capping to the issuer's `maxExpiration`
 *   happens later.
 * - The subject token is shape-checked before anything parses it: at most 16 KiB, only base64url
 *   characters and dots, exactly three segments (a compact JWS; a five-segment JWE is named as
 *   such), header and payload non-empty. An empty signature (`alg: none`) passes here so that the
 *   verifier refuses it with its own, more precise reason.
 * - Delegation is not supported: a present `actor_token` is refused even with its type.
 * - Descriptions are fixed strings (see EXCHANGE_REQUEST_DESCRIPTIONS): no input value is ever
 *   echoed, and all are printable ASCII without `"` or `\` (RFC 6749 §5.2, T13).
 */

export const GRANT_TYPE_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export type SubjectTokenType = 'id_token' | 'jwt';
const SUBJECT_TOKEN_TYPES: ReadonlyMap<string, SubjectTokenType> = new Map([
  ['urn:ietf:params:oauth:token-type:id_token', 'id_token'],
  ['urn:ietf:params:oauth:token-type:jwt', 'jwt'],
]);

const REQUESTED_TOKEN_TYPE_PREFIX = 'urn:pulumi:token-type:access_token:';
const REQUESTED_TOKEN_TYPES: readonly TokenType[] = ['organization', 'team', 'personal'];

/** The `issued_token_type` URN for a minted token of this type. */
export function requestedTokenTypeUrn(type: TokenType): string {
  return REQUESTED_TOKEN_TYPE_PREFIX + type;
}

const AUDIENCE_PREFIXES: readonly string[] = ['urn:pulumi:org:', 'urn:tessera:org:'];

/** Largest subject token accepted, in characters (all ASCII after the charset check, so bytes). */
export const MAX_SUBJECT_TOKEN_LENGTH = 16 * 1024;
const SUBJECT_TOKEN_CHARSET = /^[A-Za-z0-9_.-]*$/;

export const DEFAULT_EXPIRATION_SECONDS = 7200;
/** Ten years; anything longer is a mistake rather than a wish, whatever the issuer's cap. */
export const MAX_EXPIRATION_SECONDS = 10 * 365 * 24 * 3600;

export type ExchangeScope = { kind: 'organization'; admin: boolean } | { kind: 'team'; team: string } | { kind: 'personal'; user: string };

export interface ExchangeRequest {
  /** The organization name the audience names. */
  audience: string;
  /** The distinct audience/resource URNs as sent, in order; all name `audience`. */
  audienceUris: readonly string[];
  subjectToken: string;
  subjectTokenType: SubjectTokenType;
  requestedTokenType: TokenType;
  scope: ExchangeScope;
  expirationSeconds: number;
}

export type ExchangeRequestResult = { ok: true; request: ExchangeRequest } | ExchangeFailure;

const FAILURES = {
  too_many_parameters: ['invalid_request', `the request has more than ${MAX_PARAMETERS} parameters`],
  parameter_not_string: ['invalid_request', 'a token exchange parameter must be a string'],
  repeated_parameter: ['invalid_request', 'a parameter other than audience or resource was given more than once'],
  grant_type_missing: ['invalid_request', 'grant_type is required'],
  grant_type_unsupported: ['unsupported_grant_type', `grant_type must be ${GRANT_TYPE_TOKEN_EXCHANGE}`],
  subject_token_missing: ['invalid_request', 'subject_token is required'],
  subject_token_too_large: ['invalid_request', `the subject token is longer than ${MAX_SUBJECT_TOKEN_LENGTH} characters`],
  subject_token_encrypted: ['invalid_request', 'the subject token is encrypted (JWE); a signed JWT is required'],
  subject_token_malformed: ['invalid_request', 'the subject token is not a compact JWS: three base64url segments separated by dots'],
  subject_token_type_missing: ['invalid_request', 'subject_token_type is required'],
  subject_token_type_unsupported: [
    'invalid_request',
    'subject_token_type must be urn:ietf:params:oauth:token-type:id_token or urn:ietf:params:oauth:token-type:jwt',
  ],
  actor_token_type_missing: ['invalid_request', 'actor_token requires actor_token_type'],
  actor_token_missing: ['invalid_request', 'actor_token_type must not be sent without actor_token'],
  delegation_unsupported: ['invalid_request', 'delegation is not supported: actor_token must not be sent'],
  requested_token_type_missing: [
    'invalid_request',
    'requested_token_type is required: urn:pulumi:token-type:access_token:organization, team or personal',
  ],
  requested_token_type_unsupported: [
    'invalid_request',
    'requested_token_type must be urn:pulumi:token-type:access_token:organization, team or personal',
  ],
  audience_missing: ['invalid_request', 'audience is required: urn:pulumi:org:<organization name>'],
  audience_invalid: ['invalid_target', 'audience must be urn:pulumi:org:<organization name> or urn:tessera:org:<organization name>'],
  audience_conflict: ['invalid_target', 'audience and resource must all name the same organization'],
  scope_organization: ['invalid_scope', 'an organization token takes an empty scope or admin'],
  scope_team: ['invalid_scope', 'a team token needs the scope team:<team name>'],
  scope_team_name: ['invalid_scope', 'the team name in the scope is not a valid team name'],
  scope_personal: ['invalid_scope', 'a personal token needs the scope user:<login>'],
  scope_personal_login: ['invalid_scope', 'the login in the scope is not a valid login'],
  expiration_not_integer: ['invalid_request', 'expiration must be a whole number of seconds'],
  expiration_not_positive: ['invalid_request', 'expiration must be at least 1 second'],
  expiration_too_large: ['invalid_request', `expiration must be at most ${MAX_EXPIRATION_SECONDS} seconds (10 years)`],
} as const satisfies Record<string, readonly [ExchangeFailure['error'], string]>;

export type ExchangeRequestReason = keyof typeof FAILURES;

/** Every failure this module answers, with its code and its fixed description. */
export const EXCHANGE_REQUEST_DESCRIPTIONS: Readonly<Record<ExchangeRequestReason, { error: ExchangeFailure['error']; description: string }>> =
  Object.fromEntries(Object.entries(FAILURES).map(([reason, [error, description]]) => [reason, { error, description }])) as Record<
    ExchangeRequestReason,
    { error: ExchangeFailure['error']; description: string }
  >;

function failure(reason: ExchangeRequestReason): ExchangeFailure {
  const [error, description] = FAILURES[reason];
  return { ok: false, error, reason, description };
}

/** Either input shape, read defensively: a caller without types must not make this throw. */
type ParamsInput = ExchangeParams | Readonly<Record<string, readonly string[]>>;

/** Reads every occurrence of each known parameter; null when a value is not a string. */
function readKnown(input: ParamsInput): { values: Map<string, string[]>; count: number } | null {
  const entries: [string, unknown][] =
    input instanceof Map ? [...(input as ReadonlyMap<string, unknown>).entries()] : Object.keys(input).map((k) => [k, (input as Record<string, unknown>)[k]]);
  const values = new Map<string, string[]>();
  let count = 0;
  for (const [name, raw] of entries) {
    const list: unknown[] = Array.isArray(raw) ? raw : [raw];
    count += list.length;
    if (!KNOWN_PARAMETERS.includes(name)) continue;
    if (!list.every((v): v is string => typeof v === 'string')) return null;
    values.set(name, [...(values.get(name) ?? []), ...list]);
  }
  return { values, count };
}

/** Validates a token-exchange request's parameters (see the decisions above). Never throws. */
export function parseExchangeRequest(input: ParamsInput): ExchangeRequestResult {
  if (typeof input !== 'object' || input === null) return failure('parameter_not_string');
  const read = readKnown(input);
  if (!read) return failure('parameter_not_string');
  if (read.count > MAX_PARAMETERS) return failure('too_many_parameters');
  const all = read.values;
  for (const [name, list] of all) {
    if (name !== 'audience' && name !== 'resource' && list.length > 1) return failure('repeated_parameter');
  }
  /** The single value of a non-repeatable parameter; empty counts as omitted. */
  const one = (name: string): string | undefined => {
    const value = all.get(name)?.[0];
    return value === undefined || value === '' ? undefined : value;
  };

  // T01
  const grantType = one('grant_type');
  if (grantType === undefined) return failure('grant_type_missing');
  if (grantType !== GRANT_TYPE_TOKEN_EXCHANGE) return failure('grant_type_unsupported');

  // T02, J24, J11: the subject token's size and shape, before anything decodes it.
  const subjectToken = one('subject_token');
  if (subjectToken === undefined) return failure('subject_token_missing');
  if (subjectToken.length > MAX_SUBJECT_TOKEN_LENGTH) return failure('subject_token_too_large');
  if (!SUBJECT_TOKEN_CHARSET.test(subjectToken)) return failure('subject_token_malformed');
  const segments = subjectToken.split('.');
  if (segments.length === 5) return failure('subject_token_encrypted');
  if (segments.length !== 3 || segments[0] === '' || segments[1] === '') return failure('subject_token_malformed');

  // T02, T03
  const subjectTokenTypeUrn = one('subject_token_type');
  if (subjectTokenTypeUrn === undefined) return failure('subject_token_type_missing');
  const subjectTokenType = SUBJECT_TOKEN_TYPES.get(subjectTokenTypeUrn);
  if (subjectTokenType === undefined) return failure('subject_token_type_unsupported');

  // T04
  const actorToken = one('actor_token');
  const actorTokenType = one('actor_token_type');
  if (actorToken !== undefined && actorTokenType === undefined) return failure('actor_token_type_missing');
  if (actorToken === undefined && actorTokenType !== undefined) return failure('actor_token_missing');
  if (actorToken !== undefined) return failure('delegation_unsupported');

  // T05
  const requestedUrn = one('requested_token_type');
  if (requestedUrn === undefined) return failure('requested_token_type_missing');
  const requestedTokenType = requestedUrn.startsWith(REQUESTED_TOKEN_TYPE_PREFIX)
    ? REQUESTED_TOKEN_TYPES.find((t) => requestedUrn === REQUESTED_TOKEN_TYPE_PREFIX + t)
    : undefined;
  if (requestedTokenType === undefined) return failure('requested_token_type_unsupported');

  // Audience (T06 is the policy's part, later).
  const audienceUris: string[] = [];
  for (const uri of [...(all.get('audience') ?? []), ...(all.get('resource') ?? [])]) {
    if (uri !== '' && !audienceUris.includes(uri)) audienceUris.push(uri);
  }
  if (audienceUris.length === 0) return failure('audience_missing');
  let org: string | undefined;
  for (const uri of audienceUris) {
    const name = orgFromUrn(uri);
    if (name === undefined) return failure('audience_invalid');
    if (org !== undefined && org !== name) return failure('audience_conflict');
    org = name;
  }
  if (org === undefined) return failure('audience_missing');

  // T07 (the request's part; whether a policy grants it is decided later).
  const scope = parseScope(requestedTokenType, one('scope'));
  if ('reason' in scope) return failure(scope.reason);

  const expiration = parseExpiration(one('expiration'));
  if (typeof expiration !== 'number') return failure(expiration);

  return {
    ok: true,
    request: { audience: org, audienceUris, subjectToken, subjectTokenType, requestedTokenType, scope, expirationSeconds: expiration },
  };
}

function orgFromUrn(uri: string): string | undefined {
  for (const prefix of AUDIENCE_PREFIXES) {
    if (uri.startsWith(prefix)) {
      const name = uri.slice(prefix.length);
      return ORG_NAME.test(name) ? name : undefined;
    }
  }
  return undefined;
}

export function parseScope(type: TokenType, scope: string | undefined): ExchangeScope | { reason: ExchangeRequestReason } {
  switch (type) {
    case 'organization':
      if (scope === undefined) return { kind: 'organization', admin: false };
      if (scope === 'admin') return { kind: 'organization', admin: true };
      return { reason: 'scope_organization' };
    case 'team': {
      if (scope === undefined || !scope.startsWith('team:')) return { reason: 'scope_team' };
      const team = scope.slice('team:'.length);
      return ORG_NAME.test(team) ? { kind: 'team', team } : { reason: 'scope_team_name' };
    }
    case 'personal': {
      if (scope === undefined || !scope.startsWith('user:')) return { reason: 'scope_personal' };
      const user = scope.slice('user:'.length);
      return LOGIN.test(user) ? { kind: 'personal', user } : { reason: 'scope_personal_login' };
    }
  }
}

function parseExpiration(raw: string | undefined): number | ExchangeRequestReason {
  if (raw === undefined) return DEFAULT_EXPIRATION_SECONDS;
  if (/^-[0-9]+(\.[0-9]+)?$/.test(raw)) return 'expiration_not_positive';
  if (!/^[0-9]+$/.test(raw)) return 'expiration_not_integer';
  const seconds = Number(raw);
  if (seconds === 0) return 'expiration_not_positive';
  if (seconds > MAX_EXPIRATION_SECONDS) return 'expiration_too_large';
  return seconds;
}

/** The scope as the token response's `scope` field writes it ('' for a plain organization token). */
export function formatScope(scope: ExchangeScope): string {
  switch (scope.kind) {
    case 'organization':
      return scope.admin ? 'admin' : '';
    case 'team':
      return `team:${scope.team}`;
    case 'personal':
      return `user:${scope.user}`;
  }
}

/** What evaluatePolicies needs to know about a validated request's scope. */
export function toPolicyRequest(scope: ExchangeScope): PolicyRequest {
  switch (scope.kind) {
    case 'organization':
      return { tokenType: 'organization', wantsAdmin: scope.admin };
    case 'team':
      return { tokenType: 'team', teamName: scope.team };
    case 'personal':
      return { tokenType: 'personal', userLogin: scope.user };
  }
}

/** A requested token type given as `organization`, `team`, `personal` or the full URN. */
export function parseRequestedTokenType(value: string): TokenType | undefined {
  const name = value.startsWith(REQUESTED_TOKEN_TYPE_PREFIX) ? value.slice(REQUESTED_TOKEN_TYPE_PREFIX.length) : value;
  return REQUESTED_TOKEN_TYPES.find((t) => t === name);
}
