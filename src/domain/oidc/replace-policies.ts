import { recordAudit } from '../audit/record-audit.js';
import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import { orgPersonAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { AuthPolicy } from '../records.js';
import { validatePolicies, type CompiledPolicy } from './policy-definition.js';
import { policyWarnings, type PolicyWarning } from './policy-warnings.js';

/**
 * Replaces an AuthPolicy's whole list (organization admins). The list is validated all at once
 * (an empty list is refused); the version increments; the advisory warnings come back with it.
 */
export async function replacePolicies(
  deps: Deps,
  ctx: RequestContext,
  principal: Principal,
  orgName: string,
  policyId: string,
  policies: unknown,
): Promise<{ policy: AuthPolicy; warnings: PolicyWarning[] }> {
  const { org } = await orgPersonAdminAccess(deps, principal, orgName, 'replace auth policies');
  const current = (await deps.store.findAuthPolicy(org.id, policyId)) ?? fail('policy_not_found', `policy '${policyId}' not found`);
  const compiled = compilePoliciesOrFail(policies);
  const definitions = compiled.map((p) => p.definition);
  const policy = await deps.store.transaction(async (tx) => {
    const saved = await tx.replaceAuthPolicies(current.id, definitions, deps.clock.now());
    await recordAudit(tx, deps, ctx, principal, {
      action: 'auth_policy_updated',
      orgId: org.id,
      targetType: 'auth_policy',
      targetId: saved.id,
      targetName: null,
      details: { issuerId: saved.issuerId, version: saved.version, policies: definitions.length },
    });
    return saved;
  });
  return { policy, warnings: policyWarnings(compiled) };
}

/** A submitted policy list, validated all at once: `400 policy_invalid` naming every problem. */
export function compilePoliciesOrFail(policies: unknown): CompiledPolicy[] {
  const validation = validatePolicies(policies);
  if (validation.ok) return validation.policies;
  const text = validation.problems.map((p) => `${p.index === null ? p.field : `policies[${p.index}].${p.field}`}: ${p.message}`).join('; ');
  fail('policy_invalid', text);
}
