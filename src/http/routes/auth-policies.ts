import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { getPolicy } from '../../domain/oidc/get-policy.js';
import { replacePolicies } from '../../domain/oidc/replace-policies.js';
import type { AuthPolicy } from '../../domain/records.js';
import { principalOf, requestContext, requireAuth } from '../context.js';
import { errorResponses, OrgParams } from '../schemas.js';

const tags = ['oidc'];
const Id = Type.String({ minLength: 1, maxLength: 64 });

function policyBody(p: AuthPolicy) {
  return { id: p.id, version: p.version, policies: p.policies, created: new Date(p.createdAt).toISOString(), modified: new Date(p.modifiedAt).toISOString() };
}

const Warning = Type.Object({ policyIndex: Type.Integer(), code: Type.String(), message: Type.String() });

/** Auth policies of OIDC issuers (organization admins). */
export function registerAuthPolicyRoutes(app: FastifyInstance, deps: Deps): void {
  const auth = requireAuth(deps);

  app.get(
    '/api/orgs/:org/auth/policies/oidcissuers/:issuerId',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "Read an OIDC issuer's auth policy (admins)",
        params: Type.Composite([OrgParams, Type.Object({ issuerId: Id })]),
        response: { 200: Type.Ref('AuthPolicy'), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const { org, issuerId } = request.params as { org: string; issuerId: string };
      return policyBody(await getPolicy(deps, principalOf(request), org, issuerId));
    },
  );

  app.patch(
    '/api/orgs/:org/auth/policies/:policyId',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "Replace an auth policy's whole list (admins)",
        description: 'An empty list is refused. The version increments. `warnings` lists allow policies that constrain too little.',
        params: Type.Composite([OrgParams, Type.Object({ policyId: Id })]),
        // The list is checked by the domain, which reports every problem at once with its index.
        body: Type.Object({ policies: Type.Array(Type.Unknown(), { description: 'AuthPolicyDefinition[]' }) }, { additionalProperties: false }),
        response: {
          200: Type.Composite([
            Type.Object({ id: Type.String(), version: Type.Integer(), policies: Type.Array(Type.Ref('AuthPolicyDefinition')), created: Type.String(), modified: Type.String() }),
            Type.Object({ warnings: Type.Array(Warning) }),
          ]),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { org, policyId } = request.params as { org: string; policyId: string };
      const { policy, warnings } = await replacePolicies(deps, requestContext(request), principalOf(request), org, policyId, (request.body as { policies: unknown }).policies);
      return { ...policyBody(policy), warnings };
    },
  );
}
