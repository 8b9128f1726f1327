import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { MAX_SUBJECT_TOKEN_LENGTH } from '../../domain/oidc/exchange-request.js';
import { getPolicy } from '../../domain/oidc/get-policy.js';
import { listExchanges, type ListExchangesInput } from '../../domain/oidc/list-exchanges.js';
import { replacePolicies } from '../../domain/oidc/replace-policies.js';
import { testPolicies, type PolicyTestInput } from '../../domain/oidc/test-policies.js';
import type { AuthPolicy } from '../../domain/records.js';
import { principalOf, requestContext, requireAuth, requireReauthentication } from '../context.js';
import { errorResponses, OrgParams } from '../schemas.js';

const tags = ['oidc'];
const Id = Type.String({ minLength: 1, maxLength: 64 });

function policyBody(p: AuthPolicy) {
  return { id: p.id, version: p.version, policies: p.policies, created: new Date(p.createdAt).toISOString(), modified: new Date(p.modifiedAt).toISOString() };
}


/** Auth policies of OIDC issuers, their dry run, and the exchange attempts (organization admins). */
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
            Type.Object({ warnings: Type.Array(Type.Ref('PolicyWarning')) }),
          ]),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      requireReauthentication(deps, request); // W08: a recent password proof in a console session
      const { org, policyId } = request.params as { org: string; policyId: string };
      const { policy, warnings } = await replacePolicies(deps, requestContext(request), principalOf(request), org, policyId, (request.body as { policies: unknown }).policies);
      return { ...policyBody(policy), warnings };
    },
  );

  app.post(
    '/api/orgs/:org/oidc/issuers/:issuerId/policies/test',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "Dry-run an issuer's policies against an ID token or claims (admins)",
        description:
          'Tests the saved policy list, or the draft `policies`, against `subjectToken` (verified like an exchange, but its times and jti are only reported in `notes`) or a `claims` object. Nothing is written.',
        params: Type.Composite([OrgParams, Type.Object({ issuerId: Id })]),
        body: Type.Object(
          {
            policies: Type.Optional(Type.Array(Type.Unknown(), { description: 'a draft AuthPolicyDefinition[]; the saved list when absent' })),
            subjectToken: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_SUBJECT_TOKEN_LENGTH, description: 'an ID token of this issuer' })),
            claims: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'claims taken as verified' })),
            requestedTokenType: Type.String({ maxLength: 64, description: 'organization, team or personal (or the urn:pulumi:token-type:access_token: URN)' }),
            scope: Type.Optional(Type.String({ maxLength: 128, description: 'as in the exchange: admin, team:<name>, user:<login>' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('PolicyTestResult'), ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { org, issuerId } = request.params as { org: string; issuerId: string };
      return testPolicies(deps, principalOf(request), org, issuerId, request.body as PolicyTestInput);
    },
  );

  app.get(
    '/api/orgs/:org/oidc/exchanges',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Recent token-exchange attempts, allowed and denied, with their traces (admins)',
        params: OrgParams,
        querystring: Type.Object({
          outcome: Type.Optional(Type.Union([Type.Literal('allowed'), Type.Literal('denied')])),
          requestId: Type.Optional(Type.String({ maxLength: 128, description: 'the request_id a refused client was given' })),
          startTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 253_402_300_799, description: 'unix seconds, inclusive' })),
          endTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 253_402_300_799, description: 'unix seconds, exclusive' })),
          maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          continuationToken: Type.Optional(Type.String({ maxLength: 512 })),
        }),
        response: {
          200: Type.Object({ exchanges: Type.Array(Type.Ref('OidcExchange')), continuationToken: Type.Optional(Type.String({ description: 'absent on the last page' })) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => listExchanges(deps, principalOf(request), (request.params as { org: string }).org, request.query as ListExchangesInput),
  );
}
