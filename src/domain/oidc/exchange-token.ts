import { randomBytes } from 'node:crypto';
import { compactVerify, errors as joseErrors } from 'jose';
import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import { DomainError } from '../errors.js';
import type { OidcIssuer, Organization } from '../records.js';
import { newTokenRecord, storeNewToken } from '../tokens/issue-token.js';
import { evaluatePolicies, type ExaminedClaim, type PolicyTraceEntry } from './evaluate-policies.js';
import { formatScope, parseExchangeRequest, requestedTokenTypeUrn, toPolicyRequest, type ExchangeRequest } from './exchange-request.js';
import type { ParamsResult } from './exchange-params.js';
import { ALLOWED_ALGORITHMS } from './key-set.js';
import { validatePolicies, type CompiledPolicy } from './policy-definition.js';

/**
 * Token exchange (API.md section 7): an OIDC ID token for a short-lived Tessera token. The checks
 * run in the documented order; the first that fails answers. Every attempt whose audience names an
 * organization writes exactly one audit event there: `oidc_token_exchanged` in the transaction that
 * mints the token, or `oidc_token_exchange_denied` (and nothing else) for a refusal.
 *
 * The subject token is never logged, echoed or written to the audit table; descriptions are fixed
 * strings that say which check failed without any input value or policy pattern.
 */

/** Clock leeway for `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_LEEWAY_SECONDS = 60;
/** Longest `jti` and `sub` accepted. */
const MAX_CLAIM_LENGTH = 1024;
/** Header parameters that would let the token choose its own key, or change how it is read (J06, J07, J10). */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit', 'b64'];

export interface ExchangeSuccess {
  ok: true;
  body: { access_token: string; issued_token_type: string; token_type: 'token'; expires_in: number; scope: string };
}

export interface ExchangeRefusal {
  ok: false;
  status: 400 | 503;
  error: 'invalid_request' | 'unsupported_grant_type' | 'invalid_target' | 'invalid_scope' | 'temporarily_unavailable';
  /** Stable code of the failed check, for the audit log and tests. */
  reason: string;
  description: string;
}

export type ExchangeResult = ExchangeSuccess | ExchangeRefusal;

/** Which step of section 7 refused, recorded on the denial event. */
type Check = 'parameters' | 'organization' | 'token' | 'issuer' | 'keys' | 'signature' | 'claims' | 'time' | 'audience' | 'jti' | 'policy' | 'scope';

class Refusal extends Error {
  constructor(
    readonly check: Check,
    readonly refusal: ExchangeRefusal,
  ) {
    super(refusal.description);
  }
}

function refuse(check: Check, reason: string, description: string, error: ExchangeRefusal['error'] = 'invalid_request', status: 400 | 503 = 400): never {
  throw new Refusal(check, { ok: false, status, error, reason, description });
}

/** What the denial event knows so far. */
interface Attempt {
  org?: Organization;
  issuer?: OidcIssuer;
  subject?: string;
  claims?: ExaminedClaim[];
  trace?: PolicyTraceEntry[];
  policyVersion?: number;
}

/** Runs a token exchange for already-read body parameters. Never throws for a bad request. */
export async function exchangeToken(deps: Deps, ctx: RequestContext, params: ParamsResult): Promise<ExchangeResult> {
  if (!params.ok) return { ok: false, status: 400, error: params.error, reason: params.reason, description: params.description };
  const parsed = parseExchangeRequest(params.params);
  if (!parsed.ok) return { ok: false, status: 400, error: parsed.error, reason: parsed.reason, description: parsed.description };
  const request = parsed.request;
  const attempt: Attempt = {};
  try {
    return await exchange(deps, ctx, request, attempt);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    if (attempt.org) await recordDenial(deps, ctx, request, attempt, err);
    return err.refusal;
  }
}

async function exchange(deps: Deps, ctx: RequestContext, request: ExchangeRequest, attempt: Attempt): Promise<ExchangeSuccess> {
  // The audience names an existing organization.
  const org = await deps.store.findOrgByName(request.audience);
  if (!org) refuse('organization', 'unknown_audience', 'the audience names no organization', 'invalid_target');
  attempt.org = org;

  // Read (without trusting) the header and `iss`, only to pick the registered issuer and its keys.
  const [headerPart, payloadPart] = request.subjectToken.split('.') as [string, string, string];
  const header = decodeJsonSegment(headerPart);
  const unverified = decodeJsonSegment(payloadPart);
  if (!header || !unverified) refuse('token', 'token_malformed', 'the subject token header or payload is not a base64url JSON object');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
    refuse('token', 'algorithm_not_allowed', 'the subject token must be signed with an asymmetric algorithm (RS*, PS*, ES*, EdDSA)');
  }
  if (FORBIDDEN_HEADERS.some((name) => name in header)) {
    refuse('token', 'header_not_allowed', 'the subject token header carries a parameter that is not accepted (jwk, jku, x5u, x5c, x5t, crit, b64)');
  }
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length > 256)) refuse('token', 'kid_invalid', 'the subject token kid must be a short string');

  // `iss` must be a registered issuer of this organization, compared exactly; nothing is fetched otherwise.
  const iss = unverified.iss;
  if (typeof iss !== 'string') refuse('issuer', 'issuer_missing', 'the subject token has no iss claim');
  const issuer = (await deps.store.listIssuers(org.id)).find((i) => i.url === iss);
  if (!issuer) refuse('issuer', 'issuer_not_registered', 'the subject token issuer is not registered in this organization');
  attempt.issuer = issuer;

  // Signature, with the issuer's keys only and the algorithm each key is for.
  let keys;
  try {
    keys = await deps.oidc.keys.keysFor(issuer, alg, kid);
  } catch (err) {
    if (err instanceof DomainError && err.code === 'issuer_keys_unavailable') {
      refuse('keys', 'issuer_keys_unavailable', 'the issuer keys cannot be fetched right now; retry later', 'temporarily_unavailable', 503);
    }
    throw err;
  }
  if (keys.length === 0) refuse('signature', 'no_matching_key', 'no key of the issuer matches the subject token kid and alg');
  let payloadBytes: Uint8Array | undefined;
  for (const key of keys) {
    try {
      const verified = await compactVerify(request.subjectToken, key.key, { algorithms: [key.alg] });
      payloadBytes = verified.payload;
      break;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) continue;
      throw err;
    }
  }
  if (!payloadBytes) refuse('signature', 'signature_invalid', 'the subject token signature does not verify with the issuer keys');
  let claims: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) claims = value as Record<string, unknown>;
  } catch {
    // refused below
  }
  if (!claims) refuse('claims', 'payload_invalid', 'the subject token payload is not a JSON object');
  if (claims.iss !== issuer.url) refuse('issuer', 'issuer_mismatch', 'the subject token issuer is not registered in this organization');

  // Required claims (J15, J18).
  const sub = claims.sub;
  const jti = claims.jti;
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_CLAIM_LENGTH) refuse('claims', 'sub_invalid', 'the subject token needs a sub claim');
  attempt.subject = sub;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_CLAIM_LENGTH) refuse('claims', 'jti_invalid', 'the subject token needs a jti claim');
  const exp = claims.exp;
  const iat = claims.iat;
  const nbf = claims.nbf;
  if (!isTime(exp)) refuse('claims', 'exp_invalid', 'the subject token needs a numeric exp claim');
  if (!isTime(iat)) refuse('claims', 'iat_invalid', 'the subject token needs a numeric iat claim');
  if (nbf !== undefined && !isTime(nbf)) refuse('claims', 'nbf_invalid', 'the subject token nbf claim must be numeric');

  // Times, with the leeway, on the injected clock (J15-J17).
  const nowSec = Math.floor(deps.clock.now() / 1000);
  if (nowSec >= exp + CLOCK_LEEWAY_SECONDS) refuse('time', 'token_expired', 'the subject token has expired');
  if (nbf !== undefined && nbf > nowSec + CLOCK_LEEWAY_SECONDS) refuse('time', 'token_not_yet_valid', 'the subject token is not valid yet (nbf)');
  if (iat > nowSec + CLOCK_LEEWAY_SECONDS) refuse('time', 'iat_in_future', 'the subject token was issued in the future (iat)');

  // `aud` (J14): contains the request's audience; every value names this organization.
  const aud = claims.aud;
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
  const trusted = [`urn:pulumi:org:${org.name}`, `urn:tessera:org:${org.name}`];
  if (!auds || !auds.some((a) => request.audienceUris.includes(a)) || !auds.every((a) => trusted.includes(a))) {
    refuse('audience', 'audience_mismatch', 'the subject token aud does not match the requested audience');
  }

  // Single use, per issuer (J19): checked here for the order of checks; decided by the insert below.
  if (await deps.store.jtiUsed(issuer.id, jti, nowSec)) refuse('jti', 'jti_replayed', 'the subject token has already been exchanged');

  // Policies (T06, T07).
  const policy = await deps.store.findAuthPolicyByIssuer(issuer.id);
  attempt.policyVersion = policy?.version;
  const validation = validatePolicies(policy?.policies ?? []);
  const compiled: CompiledPolicy[] = validation.ok ? validation.policies : [];
  const evaluation = evaluatePolicies(compiled, claims, toPolicyRequest(request));
  attempt.claims = evaluation.claims;
  attempt.trace = evaluation.trace;
  if (evaluation.decision === 'deny') {
    const code = evaluation.code ?? 'no_allow_policy_matched';
    if (code === 'admin_not_authorized') refuse('policy', code, 'the admin scope needs a matching allow policy that authorizes admin', 'invalid_scope');
    refuse('policy', code, evaluation.reason);
  }

  // What the token will belong to.
  let teamId: string | null = null;
  let userId: string | null = null;
  if (request.scope.kind === 'team') {
    const team = await deps.store.findTeam(org.id, request.scope.team);
    if (!team) refuse('scope', 'team_not_found', 'the scope names a team that does not exist in the organization', 'invalid_scope');
    teamId = team.id;
  } else if (request.scope.kind === 'personal') {
    const user = await deps.store.findUserByLogin(request.scope.user);
    const role = user ? await deps.store.findMemberRole(org.id, user.id) : undefined;
    if (!user || !role || user.disabledAt !== null) refuse('scope', 'user_not_member', 'the scope names a user who is not an active member of the organization', 'invalid_scope');
    userId = user.id;
  }

  const expiresIn = Math.min(request.expirationSeconds, issuer.maxExpiration, deps.config.maxTokenLifetimeSeconds);
  const type = request.requestedTokenType;
  const issued = newTokenRecord({
    type,
    userId,
    orgId: type === 'personal' ? null : org.id,
    teamId,
    name: type === 'personal' ? '' : `oidc-${randomBytes(9).toString('base64url')}`,
    description: `exchanged an ID token of ${issuer.name} for ${sub}`.slice(0, 1024),
    admin: request.scope.kind === 'organization' && request.scope.admin,
    source: 'oidc',
    createdAt: deps.clock.now(),
    createdBy: `oidc:${issuer.name}`,
    createdByUserId: null,
    expires: nowSec + expiresIn,
    oidc: { issuerId: issuer.id, issuerName: issuer.name, subject: sub },
  });
  const token = issued.token;

  await deps.store.transaction(async (tx) => {
    // First in the transaction: of two exchanges of one JWT, the primary key lets one through.
    if (!(await tx.claimJti(issuer.id, jti, exp + CLOCK_LEEWAY_SECONDS, nowSec))) {
      refuse('jti', 'jti_replayed', 'the subject token has already been exchanged');
    }
    await storeNewToken(tx, token);
    await tx.touchIssuer(issuer.id, nowSec);
    await recordAudit(tx, deps, ctx, null, {
      action: 'oidc_token_exchanged',
      actorLabel: `oidc:${issuer.name}`,
      orgId: org.id,
      targetType: `${type}_token`,
      targetId: token.id,
      targetName: token.name || token.displayValue,
      details: {
        outcome: 'allowed',
        issuerId: issuer.id,
        issuerName: issuer.name,
        subject: sub,
        requestedTokenType: type,
        scope: formatScope(request.scope),
        expiresIn,
        expires: token.expires,
        admin: token.admin,
        policyVersion: policy?.version ?? null,
        claims: evaluation.claims,
        trace: evaluation.trace,
      },
    });
  });

  return {
    ok: true,
    body: { access_token: issued.tokenValue, issued_token_type: requestedTokenTypeUrn(type), token_type: 'token', expires_in: expiresIn, scope: formatScope(request.scope) },
  };
}

/** The one audit event of a refused attempt, in its own transaction (nothing else is written). */
async function recordDenial(deps: Deps, ctx: RequestContext, request: ExchangeRequest, attempt: Attempt, refusal: Refusal): Promise<void> {
  const { org, issuer } = attempt;
  if (!org) return;
  await deps.store.transaction(async (tx) => {
    await recordAudit(tx, deps, ctx, null, {
      action: 'oidc_token_exchange_denied',
      ...(issuer ? { actorLabel: `oidc:${issuer.name}` } : {}),
      orgId: org.id,
      targetType: issuer ? 'oidc_issuer' : 'organization',
      targetId: issuer?.id ?? org.id,
      targetName: issuer?.name ?? org.name,
      details: {
        outcome: 'denied',
        check: refusal.check,
        reason: refusal.refusal.reason,
        error: refusal.refusal.error,
        description: refusal.refusal.description,
        issuerId: issuer?.id ?? null,
        issuerName: issuer?.name ?? null,
        // Only a subject read from a verified token; an unverified one could say anything.
        subject: attempt.subject ?? null,
        requestedTokenType: request.requestedTokenType,
        scope: formatScope(request.scope),
        ...(attempt.policyVersion !== undefined ? { policyVersion: attempt.policyVersion } : {}),
        ...(attempt.claims ? { claims: attempt.claims } : {}),
        ...(attempt.trace ? { trace: attempt.trace } : {}),
      },
    });
  });
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A base64url segment holding a JSON object, or undefined. */
function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url'));
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
