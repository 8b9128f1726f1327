import type { CompiledPolicy, CompiledRule } from './policy-definition.js';
import type { CompiledPattern } from './pattern.js';

/**
 * Warnings returned when a policy list is saved (API.md section 6, issue 4): valid policies that
 * are probably broader than their author meant. They never block saving; they are advice.
 *
 * The checks read GitHub Actions' subject format, `repo:<owner>/<repo>:<context>` where the
 * context is `ref:<ref>`, `environment:<name>` or `pull_request`, and its `repository`,
 * `repository_owner`, `repository_id`, `ref` and `environment` claims. Breadth is decided by
 * probing: the pattern's own text is instantiated (wildcards filled in) and the compiled matcher
 * is asked whether it accepts made-up repositories or a pull-request subject. This uses the very
 * matcher that decides exchanges, so a warning cannot disagree with what the policy really
 * admits; a `sub` in another issuer's format is only checked for being unconstrained.
 */

/** Stable warning codes; clients may key on them. */
export type PolicyWarningCode =
  | 'sub_unconstrained'
  | 'every_repository'
  | 'repository_wildcard'
  | 'admin_unpinned'
  | 'pull_request_subject';

export interface PolicyWarning {
  policyIndex: number;
  code: PolicyWarningCode;
  message: string;
}

// Two repository names with nothing in common, so that a pattern accepting both has a free
// wildcard where the repository name goes.
const PROBE_REPOS = ['tessera-probe-repository', 'q'] as const;
const PROBE_CONTEXTS = [':ref:refs/heads/main', ':ref:refs/tags/v1.0.0', ':environment:production', ':pull_request', ''] as const;

type FlatToken = { kind: 'lit'; c: string } | { kind: 'one' } | { kind: 'any' };

/** Computes the advisory warnings for a validated policy list (allow policies only). */
export function policyWarnings(policies: readonly CompiledPolicy[]): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  for (const policy of policies) {
    // A deny policy can only take access away; breadth there is the point.
    if (policy.decision !== 'allow') continue;
    const warn = (code: PolicyWarningCode, message: string) => warnings.push({ policyIndex: policy.index, code, message });
    const sub = ruleFor(policy, 'sub');
    const repository = ruleFor(policy, 'repository');
    const owner = ruleFor(policy, 'repository_owner');

    if (sub === undefined || sub.patterns.some(unconstrained)) {
      warn('sub_unconstrained', 'this allow policy does not constrain "sub": any workload the issuer signs a token for can use it');
    }

    const subRepoWide = sub !== undefined && sub.patterns.some((p) => !unconstrained(p) && subIsRepositoryWide(p));
    const repositoryWide = repository !== undefined && repository.patterns.some(repositoryIsWide);
    if (!pinsRepository(policy) && (subRepoWide || repositoryWide || owner !== undefined)) {
      warn(
        'every_repository',
        'this allow policy lets every repository of an owner through, including repositories created later; pin "repository" or "repository_id", or name the repository in "sub"',
      );
    } else if (!pinsRepositoryExactly(policy)) {
      const prefixy =
        (sub?.patterns.some((p) => !subIsRepositoryWide(p) && subRepositoryHasWildcard(p)) ?? false) ||
        (repository?.patterns.some((p) => !repositoryIsWide(p) && repositoryNameHasWildcard(p)) ?? false);
      if (prefixy) {
        warn(
          'repository_wildcard',
          'a wildcard in the repository name also matches other repositories that share the fixed part (app* matches app-evil)',
        );
      }
    }

    if (policy.admin && !pinsRefOrEnvironment(policy)) {
      warn('admin_unpinned', 'this allow policy grants admin without pinning a ref or an environment: any branch of the repository can obtain admin');
    }

    if (sub !== undefined && sub.patterns.some(matchesPullRequestSubject)) {
      warn(
        'pull_request_subject',
        'the "sub" pattern also matches pull_request subjects, which code proposed in a pull request can obtain; pin a ref or an environment',
      );
    }
  }
  return warnings;
}

function ruleFor(policy: CompiledPolicy, claim: string): CompiledRule | undefined {
  return policy.rules.find((r) => r.segments.length === 1 && r.segments[0] === claim);
}

function flatten(p: CompiledPattern): FlatToken[] {
  const out: FlatToken[] = [];
  p.segments.forEach((segment, i) => {
    if (i > 0) out.push({ kind: 'any' });
    for (const t of segment) out.push(t === null ? { kind: 'one' } : { kind: 'lit', c: t });
  });
  return out;
}

/** A pattern with no literal character constrains nothing but length. */
function unconstrained(p: CompiledPattern): boolean {
  return p.segments.every((s) => s.every((t) => t === null));
}

function wildcardFree(p: CompiledPattern): boolean {
  return p.segments.length === 1 && p.segments[0]!.every((t) => t !== null);
}

function instantiate(tokens: readonly FlatToken[], starFill: string): string {
  return tokens.map((t) => (t.kind === 'lit' ? t.c : t.kind === 'one' ? 'x' : starFill)).join('');
}

function indexOfLiteral(tokens: readonly FlatToken[], c: string, from: number): number {
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'lit' && t.c === c) return i;
  }
  return -1;
}

/** Splits a `repo:owner/name:context` pattern at its literal separators; undefined for other formats. */
function splitSub(p: CompiledPattern): { owner: FlatToken[]; name: FlatToken[] | undefined; rest: FlatToken[] } | undefined {
  const tokens = flatten(p);
  const prefix = 'repo:';
  for (let i = 0; i < prefix.length; i++) {
    const t = tokens[i];
    if (t?.kind !== 'lit' || t.c !== prefix[i]) return undefined;
  }
  const slash = indexOfLiteral(tokens, '/', prefix.length);
  if (slash < 0) return { owner: tokens.slice(prefix.length), name: undefined, rest: [] };
  const colon = indexOfLiteral(tokens, ':', slash + 1);
  const end = colon < 0 ? tokens.length : colon;
  return { owner: tokens.slice(prefix.length, slash), name: tokens.slice(slash + 1, end), rest: tokens.slice(end) };
}

function subIsRepositoryWide(p: CompiledPattern): boolean {
  const parts = splitSub(p);
  if (parts === undefined) return false;
  const owner = instantiate(parts.owner, '');
  // The pattern's own context first, so `repo:acme/*:environment:prod-eu` is probed with its
  // environment and not only with the usual ones.
  const contexts = [instantiate(parts.rest, ''), ...PROBE_CONTEXTS];
  return contexts.some((ctx) => PROBE_REPOS.every((repo) => p.matches(`repo:${owner}/${repo}${ctx}`)));
}

function subRepositoryHasWildcard(p: CompiledPattern): boolean {
  const parts = splitSub(p);
  return parts?.name?.some((t) => t.kind !== 'lit') ?? false;
}

function repositoryIsWide(p: CompiledPattern): boolean {
  const tokens = flatten(p);
  const slash = indexOfLiteral(tokens, '/', 0);
  const owner = instantiate(slash < 0 ? tokens : tokens.slice(0, slash), '');
  return PROBE_REPOS.every((repo) => p.matches(`${owner}/${repo}`));
}

function repositoryNameHasWildcard(p: CompiledPattern): boolean {
  const tokens = flatten(p);
  const slash = indexOfLiteral(tokens, '/', 0);
  return slash >= 0 && tokens.slice(slash + 1).some((t) => t.kind !== 'lit');
}

/** Whether some rule names exactly one repository (owner and name without wildcards). */
function pinsRepositoryExactly(policy: CompiledPolicy): boolean {
  const sub = ruleFor(policy, 'sub');
  const repository = ruleFor(policy, 'repository');
  const repositoryId = ruleFor(policy, 'repository_id');
  const exactSub = (p: CompiledPattern) => {
    const parts = splitSub(p);
    return parts?.name !== undefined && [...parts.owner, ...parts.name].every((t) => t.kind === 'lit');
  };
  return (
    (sub?.patterns.every(exactSub) ?? false) ||
    (repository?.patterns.every(wildcardFree) ?? false) ||
    (repositoryId?.patterns.every(wildcardFree) ?? false)
  );
}

/** Whether some rule narrows the policy to named repositories, whatever the other rules say. */
function pinsRepository(policy: CompiledPolicy): boolean {
  const sub = ruleFor(policy, 'sub');
  const repository = ruleFor(policy, 'repository');
  const repositoryId = ruleFor(policy, 'repository_id');
  return (
    (sub !== undefined && sub.patterns.every((p) => splitSub(p) !== undefined && !unconstrained(p) && !subIsRepositoryWide(p))) ||
    (repository !== undefined && repository.patterns.every((p) => !repositoryIsWide(p))) ||
    (repositoryId !== undefined && repositoryId.patterns.every((p) => !unconstrained(p)))
  );
}

function pinsRefOrEnvironment(policy: CompiledPolicy): boolean {
  for (const claim of ['ref', 'environment']) {
    const rule = ruleFor(policy, claim);
    if (rule !== undefined && rule.patterns.every(wildcardFree)) return true;
  }
  const sub = ruleFor(policy, 'sub');
  return sub !== undefined && sub.patterns.every(subPinsRefOrEnvironment);
}

/** A `sub` whose `:ref:` or `:environment:` part is written out in full, with no wildcard. */
function subPinsRefOrEnvironment(p: CompiledPattern): boolean {
  const tokens = flatten(p);
  for (const marker of [':ref:', ':environment:']) {
    const chars = Array.from(marker);
    for (let i = 0; i + chars.length <= tokens.length; i++) {
      const hit = chars.every((c, j) => {
        const t = tokens[i + j]!;
        return t.kind === 'lit' && t.c === c;
      });
      if (!hit) continue;
      const tail = tokens.slice(i + chars.length);
      // Only the part after the marker must be exact: a `*` in the repository part does not
      // unpin the ref (that breadth is the every_repository warning's business).
      if (tail.length > 0 && tail.every((t) => t.kind === 'lit')) return true;
    }
  }
  return false;
}

/** Catalog P08: could the subject of a `pull_request` run in the pattern's repository match? */
function matchesPullRequestSubject(p: CompiledPattern): boolean {
  // An unconstrained `sub` is already reported as such; saying it also matches pull requests
  // would only repeat it.
  if (unconstrained(p)) return false;
  const parts = splitSub(p);
  if (parts === undefined) return false;
  const owner = instantiate(parts.owner, 'x');
  const name = parts.name === undefined ? PROBE_REPOS[1] : instantiate(parts.name, 'x');
  return p.matches(`repo:${owner}/${name}:pull_request`) || p.matches(`repo:${instantiate(parts.owner, '')}/${PROBE_REPOS[1]}:pull_request`);
}
