import { retryAfterSeconds } from '../failure-window.js';
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import type { OidcIssuer, Organization } from '../records.js';
import { newTokenRecord, storeNewToken } from '../tokens/issue-token.js';
import { evaluatePolicies, type ExaminedClaim, type PolicyTraceEntry } from './evaluate-policies.js';
import { formatScope, parseExchangeRequest, requestedTokenTypeUrn, toPolicyRequest, type ExchangeRequest, type ExchangeScope } from './exchange-request.js';
import type { ParamsResult } from './exchange-params.js';
import { validatePolicies, type CompiledPolicy } from './policy-definition.js';
import {
  CLOCK_LEEWAY_SECONDS,
  checkAudience,
  checkTimes,
  readRequiredClaims,
  readUnverified,
  refuse,
  refuseUnknownIssuer,
  Refusal,
  verifySignature,
  type ExchangeRefusal,
} from './verify-subject-token.js';

/**
 * Token exchange (API.md section 7): an OIDC ID token for a short-lived Tessera token. The checks
 * run in the documented order; the first that fails answers. Every attempt whose audience names an
 * organization writes exactly one audit event there: `oidc_token_exchanged` in the transaction that
 * mints the token, or `oidc_token_exchange_denied` (and nothing else) for a refusal.
 *
 * The subject token is never logged, echoed or written to the audit table; descriptions are fixed
 * strings that say which check failed without any input value or policy pattern.
 */

export interface ExchangeSuccess {
  ok: true;
  body: { access_token: string; issued_token_type: string; token_type: 'token'; expires_in: number; scope: string };
}

export type { ExchangeRefusal };
export type ExchangeResult = ExchangeSuccess | ExchangeRefusal;

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
  const reservation = await deps.oidc.exchanges.reserve(ctx.sourceIp);
  if (!reservation.ok) {
    const wait = retryAfterSeconds(reservation.retryAfterMs);
    return { ok: false, status: 429, retryAfter: wait, error: 'temporarily_unavailable', reason: 'too_many_refusals', description: 'too many refused exchanges from this address; retry later' };
  }
  const { ticket } = reservation;
  try {
    const result = await attemptExchange(deps, ctx, params);
    if (!result.ok && result.status === 400) ticket.fail();
    return result;
  } finally {
    ticket.release();
  }
}

async function attemptExchange(deps: Deps, ctx: RequestContext, params: ParamsResult): Promise<ExchangeResult> {
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
  const unverified = readUnverified(request.subjectToken);
  // `iss` must be a registered issuer of this organization, compared exactly; nothing is fetched otherwise.
  const issuer = (await deps.store.listIssuers(org.id)).find((i) => i.url === unverified.iss) ?? refuseUnknownIssuer();
  attempt.issuer = issuer;

  // Signature, with the issuer's keys only and the algorithm each key is for; then the claims.
  const { claims, subject: sub } = await verifySignature(deps, issuer, unverified);
  attempt.subject = sub;
  const times = readRequiredClaims(claims);
  const { jti, exp } = times;
  const nowSec = Math.floor(deps.clock.now() / 1000);
  checkTimes(times, nowSec);
  checkAudience(claims, org, request.audienceUris);

  // Single use, per issuer (J19): checked here for the order of checks; decided by the insert below.
  if (await deps.store.jtiUsed(issuer.id, jti, nowSec)) refuse('jti', 'jti_replayed', 'the subject token has already been exchanged');

  // Policies (T06, T07).
  const policy = await deps.store.findAuthPolicyByIssuer(issuer.id);
  attempt.policyVersion = policy?.version;
  const validation = validatePolicies(policy?.policies ?? []);
  const compiled: CompiledPolicy[] = validation.ok ? validation.policies : [];
  const evaluation = evaluatePolicies(compiled, claims, toPolicyRequest(request.scope));
  attempt.claims = evaluation.claims;
  attempt.trace = evaluation.trace;
  if (evaluation.decision === 'deny') {
    const code = evaluation.code ?? 'no_allow_policy_matched';
    if (code === 'admin_not_authorized') refuse('policy', code, 'the admin scope needs a matching allow policy that authorizes admin', 'invalid_scope');
    // No policy is written for the requested type, team or user: the scope is beyond the policies' (T07).
    refuse('policy', code, evaluation.reason, code === 'no_applicable_policy' ? 'invalid_scope' : 'invalid_request');
  }

  const { teamId, userId } = await scopeOwner(deps, org, request.scope);
  const expiresIn = Math.min(request.expirationSeconds, issuer.maxExpiration, deps.config.maxTokenLifetimeSeconds);
  const type = request.requestedTokenType;
  const issued = newTokenRecord({
    type,
    userId,
    orgId: type === 'personal' ? null : org.id,
    // A personal token is bound to this organization: it reaches nothing else and never carries
    // site-administrator power (catalog X01), whoever it names. It stays owned by no organization
    // (orgId null), so organization listings and the token name index do not see it.
    boundOrgId: type === 'personal' ? org.id : null,
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

  deps.lastUsed.noteIssuer(issuer);
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

/** The team or user a team or personal token will belong to; refuses a scope that names none (`scope` check). */
export async function scopeOwner(deps: Deps, org: Organization, scope: ExchangeScope): Promise<{ teamId: string | null; userId: string | null }> {
  if (scope.kind === 'team') {
    const team = await deps.store.findTeam(org.id, scope.team);
    if (!team) refuse('scope', 'team_not_found', 'the scope names a team that does not exist in the organization', 'invalid_scope');
    return { teamId: team.id, userId: null };
  }
  if (scope.kind === 'personal') {
    const user = await deps.store.findUserByLogin(scope.user);
    const role = user ? await deps.store.findMemberRole(org.id, user.id) : undefined;
    if (!user || !role || user.disabledAt !== null) refuse('scope', 'user_not_member', 'the scope names a user who is not an active member of the organization', 'invalid_scope');
    return { teamId: null, userId: user.id };
  }
  return { teamId: null, userId: null };
}
