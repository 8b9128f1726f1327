import type { CompiledPolicy, CompiledRule } from './policy-definition.js';
import { resolveClaim } from './resolve-claim.js';
import { BudgetExceeded, WorkBudget } from './work-budget.js';

/**
 * The decision for one token exchange (API.md sections 6 and 7): which policies apply, whether
 * any deny or allow matches the verified claims, and a trace that explains a denial.
 *
 * The outcome depends only on the set of matching policies, never on their order (catalog P11):
 * any matching deny wins, then an allow is needed, then the admin scope needs an admin allow.
 * Traces list policies in submitted order so an administrator can find them.
 */

export type PolicyRequest =
  | { tokenType: 'organization'; wantsAdmin: boolean }
  | { tokenType: 'team'; teamName: string; wantsAdmin?: false }
  | { tokenType: 'personal'; userLogin: string; wantsAdmin?: false };

/** Why a rule did not match; names the claim, never the patterns. */
export type RuleFailure = 'absent' | 'not_a_string' | 'no_pattern_matched';

export interface PolicyTraceEntry {
  policyIndex: number;
  decision: 'allow' | 'deny';
  matched: boolean;
  /** The first rule, in written order, that did not match; absent when the policy matched. */
  failedRule?: { claimPath: string; failure: RuleFailure };
}

/** A claim the applicable policies looked at, with its value as the token carried it. */
export interface ExaminedClaim {
  claimPath: string;
  present: boolean;
  value?: unknown;
}

export type DenialCode = 'no_applicable_policy' | 'no_allow_policy_matched' | 'deny_policy_matched' | 'admin_not_authorized' | 'evaluation_budget_exceeded';

export interface PolicyEvaluation {
  decision: 'allow' | 'deny';
  /** Set when denied; a stable code for the audit log and tests. */
  code?: DenialCode;
  /** One line safe to show the caller: says which check failed, never a pattern. */
  reason: string;
  /** Every applicable policy, in submitted order. */
  trace: PolicyTraceEntry[];
  /** The claims the applicable policies' rules read, for the audit event. */
  claims: ExaminedClaim[];
}

const REASONS: Record<DenialCode | 'allowed', string> = {
  allowed: 'an allow policy matched the token\'s claims',
  no_applicable_policy: 'no policy applies to the requested token type and scope',
  no_allow_policy_matched: 'no allow policy matched the token\'s claims',
  deny_policy_matched: 'a deny policy matched the token\'s claims',
  admin_not_authorized: 'the admin scope needs an allow policy with authorizedPermissions ["admin"]',
  evaluation_budget_exceeded: 'evaluating the policies against the token\'s claims took too much work; simplify the policies or the claims',
};

/**
 * Decides whether verified `claims` may obtain the requested token under `policies`, within a work
 * budget (X06): past it the decision is a denial, `evaluation_budget_exceeded`, whatever had
 * matched so far, since an unevaluated deny could have vetoed it.
 */
export function evaluatePolicies(policies: readonly CompiledPolicy[], claims: unknown, request: PolicyRequest, budget: WorkBudget = new WorkBudget()): PolicyEvaluation {
  const trace: PolicyTraceEntry[] = [];
  const examined = new Map<string, ExaminedClaim>();
  let denyMatched = false;
  let allowMatched = false;
  let adminAllowMatched = false;
  // Code points of each string claim value, split once per evaluation, not once per pattern.
  const split = new Map<string, readonly string[]>();
  const codePoints = (s: string): readonly string[] => {
    let cps = split.get(s);
    if (cps === undefined) {
      budget.charge(s.length);
      split.set(s, (cps = Array.from(s)));
    }
    return cps;
  };

  try {
    evaluate();
  } catch (err) {
    if (!(err instanceof BudgetExceeded)) throw err;
    return { decision: 'deny', code: 'evaluation_budget_exceeded', reason: REASONS.evaluation_budget_exceeded, trace, claims: [...examined.values()] };
  }

  function evaluate(): void {
    for (const policy of policies) {
      if (!applies(policy, request)) continue;
      let failedRule: PolicyTraceEntry['failedRule'];
      for (const rule of policy.rules) {
        const lookup = resolveClaim(claims, rule.segments);
        if (!examined.has(rule.claimPath)) {
          examined.set(rule.claimPath, lookup.found ? { claimPath: rule.claimPath, present: true, value: lookup.value } : { claimPath: rule.claimPath, present: false });
        }
        // Rules are ANDed, so the first failure decides and later rules are not matched; they are
        // still looked up above so the audit record shows every claim the policy depends on.
        if (failedRule !== undefined) continue;
        const failure = lookup.found ? ruleFailure(rule, lookup.value, codePoints, budget) : 'absent';
        if (failure !== undefined) failedRule = { claimPath: rule.claimPath, failure };
      }
      const matched = failedRule === undefined;
      trace.push({ policyIndex: policy.index, decision: policy.decision, matched, ...(failedRule ? { failedRule } : {}) });
      if (!matched) continue;
      if (policy.decision === 'deny') denyMatched = true;
      else {
        allowMatched = true;
        if (policy.admin) adminAllowMatched = true;
      }
    }
  }

  const claimsOut = [...examined.values()];
  const deny = (code: DenialCode): PolicyEvaluation => ({ decision: 'deny', code, reason: REASONS[code], trace, claims: claimsOut });
  // Deny is checked first and regardless of any allow: one matching deny is a veto.
  if (denyMatched) return deny('deny_policy_matched');
  if (trace.length === 0) return deny('no_applicable_policy');
  if (!allowMatched) return deny('no_allow_policy_matched');
  // Admin is granted only by a matching allow that says so; a plain allow never implies it.
  if (request.wantsAdmin === true && !adminAllowMatched) return deny('admin_not_authorized');
  return { decision: 'allow', reason: REASONS.allowed, trace, claims: claimsOut };
}

/** A policy governs only its own token type and, for team and personal tokens, its own name. */
function applies(policy: CompiledPolicy, request: PolicyRequest): boolean {
  if (policy.tokenType !== request.tokenType) return false;
  // Exact comparison: the caller passes the canonical team name or login from the store.
  if (request.tokenType === 'team') return policy.teamName === request.teamName;
  if (request.tokenType === 'personal') return policy.userLogin === request.userLogin;
  return true;
}

/**
 * Matches one claim value against a rule's any-of patterns. Only strings are matched (catalog
 * P10): numbers, booleans, null and objects are never turned into text, and an array matches when
 * one of its string elements does; it is never joined into one string.
 */
function ruleFailure(rule: CompiledRule, value: unknown, codePoints: (s: string) => readonly string[], budget: WorkBudget): RuleFailure | undefined {
  const matchesAny = (s: string) => {
    const cps = codePoints(s);
    return rule.patterns.some((p) => p.matchesCodePoints(cps, budget));
  };
  if (typeof value === 'string') return matchesAny(value) ? undefined : 'no_pattern_matched';
  if (Array.isArray(value)) {
    const strings = value.filter((v): v is string => typeof v === 'string');
    if (strings.length === 0) return 'not_a_string';
    return strings.some(matchesAny) ? undefined : 'no_pattern_matched';
  }
  return 'not_a_string';
}
