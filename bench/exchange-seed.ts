import { NO_REQUEST } from '../src/domain/deps.js';
import { registerIssuer } from '../src/domain/oidc/register-issuer.js';
import { replacePolicies } from '../src/domain/oidc/replace-policies.js';
import { createOrg } from '../src/domain/orgs/create-org.js';
import { SYSTEM, type Principal } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { openServices } from '../src/services.js';
import { EXCHANGE_ORG, EXCHANGE_SUBJECT, ISSUER_URLS, type BenchKey } from './jwts.js';

/**
 * The exchange benchmark's setup, through the domain as an administrator would make it: an
 * organization, one issuer per key registered with a static `jwks` (so no key is ever fetched)
 * and one allow policy matching the benchmark's GitHub-Actions-like claims. The issuer URLs are
 * checked without resolving them (the resolver refuses every name; a name that does not resolve is
 * accepted for an issuer with a static key set), so nothing leaves the machine.
 */
export async function seedExchange(databaseUrl: string, keys: readonly BenchKey[]): Promise<void> {
  const services = await openServices({ databaseUrl, maxTokenLifetimeSeconds: 2 * 365 * 86400, requireTokenExpiry: false }, undefined, {
    resolve: async () => {
      throw new Error('the benchmark resolves no names');
    },
  });
  try {
    const deps = services.deps;
    const owner = await createUser(deps, NO_REQUEST, SYSTEM, { login: 'bench-oidc-admin', email: 'bench-oidc@example.com', name: 'Bench OIDC Admin' });
    await createOrg(deps, NO_REQUEST, SYSTEM, EXCHANGE_ORG, owner);
    const admin: Principal = { kind: 'user', user: owner, token: null };
    for (const key of keys) {
      const { policy } = await registerIssuer(deps, NO_REQUEST, admin, EXCHANGE_ORG, {
        name: `github-actions-${key.alg.toLowerCase()}`,
        url: ISSUER_URLS[key.alg],
        jwks: { keys: [key.publicJwk] },
      });
      await replacePolicies(deps, NO_REQUEST, admin, EXCHANGE_ORG, policy.id, [
        {
          decision: 'allow',
          tokenType: 'organization',
          authorizedPermissions: [],
          rules: { sub: EXCHANGE_SUBJECT, repository_owner: EXCHANGE_ORG, job_workflow_ref: `${EXCHANGE_ORG}/app/.github/workflows/*@refs/heads/main` },
        },
      ]);
    }
  } finally {
    await services.close();
  }
}
