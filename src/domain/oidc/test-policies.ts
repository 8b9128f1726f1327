import type { Deps } from '../deps.js';
import { fail, RetryLaterError } from '../errors.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { OidcIssuer, Organization } from '../records.js';
import { evaluatePolicies, type ExaminedClaim, type PolicyEvaluation, type PolicyTraceEntry } from './evaluate-policies.js';
import { EXCHANGE_REQUEST_DESCRIPTIONS, MAX_SUBJECT_TOKEN_LENGTH, parseRequestedTokenType, parseScope, toPolicyRequest } from './exchange-request.js';
import { scopeOwner } from './exchange-token.js';
import { findIssuerOrFail } from './issuer-fields.js';
import { validatePolicies, type CompiledPolicy } from './policy-definition.js';
import { policyWarnings, type PolicyWarning } from './policy-warnings.js';
import { compilePoliciesOrFail } from './replace-policies.js';
import {
  checkAudience,
  checkTimes,
  MAX_CLAIM_DEPTH,
  nestingDepthExceeds,
  orgAudiences,
  readRequiredClaims,
  readUnverified,
  refuse,
  Refusal,
  verifySignature,
  type Check,
} from './verify-subject-token.js';

/**
 * A dry run of an issuer's policies (docs/decisions.md, "Exchange attempts, dry runs and
 * retention"): the saved list or a draft, against a pasted ID token or a claims object. A token
 * passes the exchange's checks for this issuer, except that its times and `jti` are reported as
 * notes rather than deciding. Nothing is written: no token, no `jti`, no audit event.
 */

export interface PolicyTestInput {
  policies?: unknown;
  subjectToken?: string;
  claims?: unknown;
  requestedTokenType: string;
  scope?: string;
}

export interface PolicyTestResult {
  decision: 'allow' | 'deny';
  check?: Check;
  reason?: string;
  description: string;
  trace: PolicyTraceEntry[];
  claims: ExaminedClaim[];
  warnings: PolicyWarning[];
  notes: string[];
  policyVersion: number | null;
}

export async function testPolicies(deps: Deps, principal: Principal, orgName: string, issuerId: string, input: PolicyTestInput): Promise<PolicyTestResult> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const issuer = await findIssuerOrFail(deps, org, issuerId);
  // Reserved before any work (X06): past the limit nothing is parsed, verified or evaluated.
  const wait = deps.oidc.dryRuns.take(principal, org.id);
  if (wait > 0) throw new RetryLaterError('too_many_dry_runs', 'too many policy dry runs; retry later', wait);
  const type = parseRequestedTokenType(input.requestedTokenType) ?? fail('invalid_request', 'requestedTokenType must be organization, team or personal');
  const scope = parseScope(type, input.scope === '' ? undefined : input.scope);
  if ('reason' in scope) fail('invalid_request', EXCHANGE_REQUEST_DESCRIPTIONS[scope.reason].description);
  if ((input.subjectToken === undefined) === (input.claims === undefined)) fail('invalid_request', 'give exactly one of subjectToken and claims');
  if (input.claims !== undefined && (typeof input.claims !== 'object' || input.claims === null || Array.isArray(input.claims))) {
    fail('invalid_request', 'claims must be a JSON object');
  }
  if (input.claims !== undefined && nestingDepthExceeds(input.claims, MAX_CLAIM_DEPTH)) fail('invalid_request', `claims must not nest deeper than ${MAX_CLAIM_DEPTH} levels`);

  let policies: CompiledPolicy[];
  let policyVersion: number | null = null;
  if (input.policies === undefined) {
    const saved = await deps.store.findAuthPolicyByIssuer(issuer.id);
    const validation = validatePolicies(saved?.policies ?? []);
    policies = validation.ok ? validation.policies : [];
    policyVersion = saved?.version ?? null;
  } else {
    policies = compilePoliciesOrFail(input.policies);
  }

  const notes: string[] = [];
  let evaluation: PolicyEvaluation | undefined;
  const result = (fields: Pick<PolicyTestResult, 'decision' | 'description'> & Partial<PolicyTestResult>): PolicyTestResult => ({
    trace: evaluation?.trace ?? [],
    claims: evaluation?.claims ?? [],
    warnings: policyWarnings(policies),
    notes,
    policyVersion,
    ...fields,
  });
  try {
    const claims = input.subjectToken !== undefined ? await verifiedClaims(deps, org, issuer, input.subjectToken, notes) : (input.claims as Record<string, unknown>);
    evaluation = evaluatePolicies(policies, claims, toPolicyRequest(scope));
    if (evaluation.decision === 'deny') return result({ decision: 'deny', check: 'policy', reason: evaluation.code ?? 'no_allow_policy_matched', description: evaluation.reason });
    await scopeOwner(deps, org, scope);
    return result({ decision: 'allow', description: evaluation.reason });
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return result({ decision: 'deny', check: err.check, reason: err.refusal.reason, description: err.refusal.description });
  }
}

/** The claims of a pasted token that passes the exchange's checks for `issuer`; times and `jti` become notes. */
async function verifiedClaims(deps: Deps, org: Organization, issuer: OidcIssuer, token: string, notes: string[]): Promise<Record<string, unknown>> {
  if (token.length > MAX_SUBJECT_TOKEN_LENGTH || token.split('.').length !== 3) refuse('token', 'token_malformed', 'the subject token is not a compact JWS: three base64url segments separated by dots');
  const unverified = readUnverified(token);
  if (unverified.iss !== issuer.url) refuse('issuer', 'issuer_mismatch', 'the subject token was not issued by this issuer');
  const { claims } = await verifySignature(deps, issuer, unverified);
  const times = readRequiredClaims(claims);
  const nowSec = Math.floor(deps.clock.now() / 1000);
  try {
    checkTimes(times, nowSec);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    notes.push(`${err.refusal.description}: a real exchange would be refused`);
  }
  if (await deps.store.jtiUsed(issuer.id, times.jti, nowSec)) notes.push('the subject token has already been exchanged: a real exchange would be refused');
  checkAudience(claims, org, orgAudiences(org));
  return claims;
}
