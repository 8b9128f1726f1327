import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import type { TokenRecord } from '../../domain/records.js';
import { issueToken } from '../../domain/tokens/issue-token.js';
import { listTokens, tokenStatus } from '../../domain/tokens/list-tokens.js';
import { revokeToken } from '../../domain/tokens/revoke-token.js';
import type { TokenTarget } from '../../domain/tokens/token-scope.js';
import { principalOf, requestContext, requireAuth, requireReauthentication } from '../context.js';
import {
  CreatedToken,
  CreateOrgToken,
  CreatePersonalToken,
  CreateTeamToken,
  type CreateTokenBody,
  errorResponses,
  ListQuery,
  OrgParams,
  TeamParams,
  TokenIdParam,
} from '../schemas.js';

/** The wire form of a token (API.md section 4). */
export function accessTokenBody(t: TokenRecord, nowSec: number) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    created: new Date(t.createdAt).toISOString(),
    lastUsed: t.lastUsed,
    expires: t.expires,
    admin: t.admin,
    createdBy: t.createdBy,
    type: t.type,
    status: tokenStatus(t, nowSec),
    displayValue: t.displayValue,
    source: t.source,
    revokedAt: t.revokedAt,
    ...(t.oidc ? { oidc: t.oidc } : {}),
  };
}

interface Collection {
  type: TokenTarget['type'];
  path: string;
  params: typeof OrgParams | typeof TeamParams | undefined;
  body: typeof CreatePersonalToken | typeof CreateTeamToken | typeof CreateOrgToken;
  target: (params: Record<string, string>) => TokenTarget;
}

const COLLECTIONS: Collection[] = [
  { type: 'personal', path: '/api/user/tokens', params: undefined, body: CreatePersonalToken, target: () => ({ type: 'personal' }) },
  { type: 'organization', path: '/api/orgs/:org/tokens', params: OrgParams, body: CreateOrgToken, target: (p) => ({ type: 'organization', org: p.org! }) },
  {
    type: 'team',
    path: '/api/orgs/:org/teams/:team/tokens',
    params: TeamParams,
    body: CreateTeamToken,
    target: (p) => ({ type: 'team', org: p.org!, team: p.team! }),
  },
];

/** Where a token was created from: the console sends a header, the CLI its user agent. */
function sourceOf(request: FastifyRequest): 'console' | 'cli' | 'api' {
  if (request.headers['x-tessera-client'] === 'console') return 'console';
  return /^tessera-cli\//.test(request.headers['user-agent'] ?? '') ? 'cli' : 'api';
}

/** List, create and delete for personal, organization and team tokens (API.md sections 4 and 5). */
export function registerTokenRoutes(app: FastifyInstance, deps: Deps): void {
  for (const c of COLLECTIONS) {
    const tags = ['tokens'];
    const paramsSchema = c.params ? { params: c.params } : {};
    app.get(
      c.path,
      {
        onRequest: requireAuth(deps),
        schema: { tags, summary: `List ${c.type} tokens`, querystring: ListQuery, ...paramsSchema, response: { 200: Type.Ref('AccessTokenList'), ...errorResponses(400, 401, 403, 404) } },
      },
      async (request) => {
        const q = request.query as { filter?: 'active' | 'expired' | 'all'; maxResults?: number; continuationToken?: string; show_expired?: boolean };
        const page = await listTokens(deps, principalOf(request), c.target(request.params as Record<string, string>), {
          filter: q.show_expired ? 'all' : (q.filter ?? 'active'),
          maxResults: q.maxResults ?? 100,
          ...(q.continuationToken === undefined ? {} : { continuationToken: q.continuationToken }),
        });
        return {
          tokens: page.tokens.map((t) => accessTokenBody(t, page.nowSec)),
          ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
        };
      },
    );

    app.post(
      c.path,
      {
        onRequest: requireAuth(deps),
        schema: { tags, summary: `Create a ${c.type} token`, body: c.body, ...paramsSchema, response: { 200: Type.Ref('CreatedToken'), ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request, reply) => {
        if (c.type === 'organization') requireReauthentication(deps, request); // W08: a recent password proof in a console session
        const body = (request.body ?? {}) as CreateTokenBody;
        const { token, tokenValue } = await issueToken(deps, requestContext(request), principalOf(request), c.target(request.params as Record<string, string>), {
          ...body,
          source: sourceOf(request),
        });
        // The value is in this body and nowhere else, ever: keep every cache away from it.
        reply.header('cache-control', 'no-store');
        return { id: token.id, tokenValue };
      },
    );

    app.delete(
      `${c.path}/:tokenId`,
      {
        onRequest: requireAuth(deps),
        schema: {
          tags,
          summary: `Delete (revoke) a ${c.type} token`,
          params: c.params ? Type.Composite([c.params, TokenIdParam]) : TokenIdParam,
          response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const params = request.params as Record<string, string>;
        await revokeToken(deps, requestContext(request), principalOf(request), c.target(params), params.tokenId!);
        return reply.code(204).send();
      },
    );
  }
}
