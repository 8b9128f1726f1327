import type { TokenType } from '../tokens/token-format.js';
import { parseClaimPath } from './claim-path.js';
import { compilePattern, type CompiledPattern } from './pattern.js';

/**
 * Auth policy definitions as the API carries them (API.md section 6), and their validation into
 * compiled policies. Validation is all-or-nothing and reports every problem at once, each with the
 * policy's index and the field, so a console or CLI can point at all of them in one round trip.
 */

/** Most policies in one issuer's list. */
export const MAX_POLICIES = 100;
/** Most rules (claim paths) in one policy. */
export const MAX_RULES_PER_POLICY = 32;
/** Most patterns in one rule's any-of array. */
export const MAX_PATTERNS_PER_RULE = 32;

/** One policy as written by an administrator. */
export interface AuthPolicyDefinition {
  decision: 'allow' | 'deny';
  tokenType: TokenType;
  teamName?: string;
  userLogin?: string;
  authorizedPermissions: string[];
  rules: Record<string, string | string[]>;
}

/** One rule after validation: the claim path parsed, its patterns compiled. */
export interface CompiledRule {
  /** The claim path as written, used in traces and warnings. */
  readonly claimPath: string;
  readonly segments: readonly string[];
  readonly patterns: readonly CompiledPattern[];
}

/** A validated policy, ready for evaluation. `index` is its position in the submitted list. */
export interface CompiledPolicy {
  readonly index: number;
  readonly decision: 'allow' | 'deny';
  readonly tokenType: TokenType;
  readonly teamName?: string;
  readonly userLogin?: string;
  /** True when authorizedPermissions is ["admin"]: the policy may grant the admin scope. */
  readonly admin: boolean;
  /** In the order written; every rule must match for the policy to match. */
  readonly rules: readonly CompiledRule[];
  /** The normalised definition, as it should be stored and returned. */
  readonly definition: AuthPolicyDefinition;
}

/** Why a policy list was refused: which policy (null for the list itself), which field, and why. */
export interface PolicyProblem {
  index: number | null;
  field: string;
  message: string;
}

export type PolicyValidation = { ok: true; policies: CompiledPolicy[] } | { ok: false; problems: PolicyProblem[] };

const KNOWN_FIELDS = new Set(['decision', 'tokenType', 'teamName', 'userLogin', 'authorizedPermissions', 'rules']);
const TOKEN_TYPES: readonly string[] = ['organization', 'team', 'personal'];
const MAX_NAME_LENGTH = 256;

/** Validates and compiles a submitted policy list (shape included, since it arrives as JSON). */
export function validatePolicies(list: unknown): PolicyValidation {
  const problems: PolicyProblem[] = [];
  if (!Array.isArray(list)) return { ok: false, problems: [{ index: null, field: 'policies', message: 'policies must be an array' }] };
  // An empty list would deny every exchange silently; API.md refuses it so that "deny everything"
  // is said with a deny policy or by deleting the issuer.
  if (list.length === 0) return { ok: false, problems: [{ index: null, field: 'policies', message: 'the policy list must not be empty' }] };
  if (list.length > MAX_POLICIES) {
    return { ok: false, problems: [{ index: null, field: 'policies', message: `at most ${MAX_POLICIES} policies are allowed` }] };
  }
  const policies: CompiledPolicy[] = [];
  list.forEach((item, index) => {
    const policy = validateOne(item, index, problems);
    if (policy) policies.push(policy);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policies };
}

function validateOne(item: unknown, index: number, problems: PolicyProblem[]): CompiledPolicy | undefined {
  const before = problems.length;
  const problem = (field: string, message: string) => problems.push({ index, field, message });
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    problem('', 'a policy must be an object');
    return undefined;
  }
  const raw = item as Record<string, unknown>;
  // Unknown fields are refused, not ignored: a misspelt constraint ("rule", "teamname") that was
  // silently dropped would leave a policy broader than its author believes.
  for (const key of Object.keys(raw)) if (!KNOWN_FIELDS.has(key)) problem(key, `unknown field "${key}"`);

  const decision = raw.decision;
  if (decision !== 'allow' && decision !== 'deny') problem('decision', 'decision must be "allow" or "deny"');
  const tokenType = raw.tokenType;
  if (typeof tokenType !== 'string' || !TOKEN_TYPES.includes(tokenType)) {
    problem('tokenType', 'tokenType must be "organization", "team" or "personal"');
  }

  // Pulumi's clients send "" or null for unused name fields, so both mean "not set".
  const teamName = optionalName(raw.teamName, 'teamName', problem);
  const userLogin = optionalName(raw.userLogin, 'userLogin', problem);
  if (tokenType === 'team' && teamName === undefined) problem('teamName', 'teamName is required for team policies');
  if (tokenType !== 'team' && teamName !== undefined) problem('teamName', 'teamName is only allowed on team policies');
  if (tokenType === 'personal' && userLogin === undefined) problem('userLogin', 'userLogin is required for personal policies');
  if (tokenType !== 'personal' && userLogin !== undefined) problem('userLogin', 'userLogin is only allowed on personal policies');

  let admin = false;
  const perms = raw.authorizedPermissions ?? [];
  if (!Array.isArray(perms) || !perms.every((p) => typeof p === 'string')) {
    problem('authorizedPermissions', 'authorizedPermissions must be an array of strings');
  } else if (perms.length > 0) {
    if (perms.length !== 1 || perms[0] !== 'admin') {
      problem('authorizedPermissions', 'authorizedPermissions may only be [] or ["admin"]');
    } else if (tokenType !== 'organization') {
      problem('authorizedPermissions', '"admin" is only allowed on organization policies');
    } else if (decision !== 'allow') {
      // On a deny policy it would read as "deny admin" but mean "deny everything"; refuse the
      // ambiguity rather than pick one.
      problem('authorizedPermissions', '"admin" is only allowed on allow policies');
    } else {
      admin = true;
    }
  }

  const rules = validateRules(raw.rules, decision, problem);
  if (problems.length > before || rules === undefined) return undefined;

  const definition: AuthPolicyDefinition = {
    decision: decision as 'allow' | 'deny',
    tokenType: tokenType as TokenType,
    ...(teamName !== undefined ? { teamName } : {}),
    ...(userLogin !== undefined ? { userLogin } : {}),
    authorizedPermissions: admin ? ['admin'] : [],
    // Defined key by key, not assigned, so a rule named "__proto__" stays an own property
    // (catalog P12) instead of invoking the prototype setter.
    rules: rules.reduce((acc, r) => {
      Object.defineProperty(acc, r.claimPath, { value: r.patterns.length === 1 && !r.wasArray ? r.patterns[0]!.source : r.patterns.map((p) => p.source), enumerable: true, writable: true, configurable: true });
      return acc;
    }, {} as Record<string, string | string[]>),
  };
  return Object.freeze({
    index,
    decision: definition.decision,
    tokenType: definition.tokenType,
    ...(teamName !== undefined ? { teamName } : {}),
    ...(userLogin !== undefined ? { userLogin } : {}),
    admin,
    rules: Object.freeze(rules.map(({ claimPath, segments, patterns }) => Object.freeze({ claimPath, segments, patterns }))),
    definition,
  });
}

function optionalName(value: unknown, field: string, problem: (field: string, message: string) => void): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > MAX_NAME_LENGTH || value.trim() !== value) {
    problem(field, `${field} must be a name without surrounding spaces, at most ${MAX_NAME_LENGTH} characters`);
    return undefined;
  }
  return value;
}

function validateRules(
  value: unknown,
  decision: unknown,
  problem: (field: string, message: string) => void,
): (CompiledRule & { wasArray: boolean })[] | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problem('rules', 'rules must be an object mapping claim paths to patterns');
    return undefined;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  // An allow policy without rules admits every token the issuer signs for this audience (catalog
  // P01: "any repository of any owner"); that is never what a policy author means, so it is
  // refused outright. A deny policy without rules is a deliberate kill switch and is kept.
  if (entries.length === 0 && decision === 'allow') {
    problem('rules', 'an allow policy needs at least one rule (an empty one would admit every token from the issuer)');
    return undefined;
  }
  if (entries.length > MAX_RULES_PER_POLICY) {
    problem('rules', `at most ${MAX_RULES_PER_POLICY} rules per policy are allowed`);
    return undefined;
  }
  const out: (CompiledRule & { wasArray: boolean })[] = [];
  const seen = new Set<string>();
  let failed = false;
  for (const [claimPath, patterns] of entries) {
    const field = `rules[${JSON.stringify(claimPath)}]`;
    const path = parseClaimPath(claimPath);
    if (!path.ok) {
      problem(field, `invalid claim path: ${path.reason}`);
      failed = true;
      continue;
    }
    // Two spellings of one path (`a.b` and `"a".b`) would be two rules on one claim; refusing
    // keeps each claim's constraint in one place.
    const canonical = JSON.stringify(path.segments);
    if (seen.has(canonical)) {
      problem(field, 'this claim path is already constrained by another rule of the policy');
      failed = true;
      continue;
    }
    seen.add(canonical);
    const wasArray = Array.isArray(patterns);
    const list: unknown[] = wasArray ? (patterns as unknown[]) : [patterns];
    // An empty any-of never matches: on a deny policy that reads as a restriction but does
    // nothing, so it is refused.
    if (list.length === 0) {
      problem(field, 'a pattern array must not be empty');
      failed = true;
      continue;
    }
    if (list.length > MAX_PATTERNS_PER_RULE) {
      problem(field, `at most ${MAX_PATTERNS_PER_RULE} patterns per rule are allowed`);
      failed = true;
      continue;
    }
    const compiled: CompiledPattern[] = [];
    list.forEach((p, i) => {
      const at = wasArray ? `${field}[${i}]` : field;
      if (typeof p !== 'string') {
        problem(at, 'a pattern must be a string');
        failed = true;
        return;
      }
      const result = compilePattern(p);
      if (!result.ok) {
        problem(at, `invalid pattern: ${result.reason}`);
        failed = true;
        return;
      }
      compiled.push(result.pattern);
    });
    out.push({ claimPath, segments: path.segments, patterns: Object.freeze(compiled), wasArray });
  }
  return failed ? undefined : out;
}
