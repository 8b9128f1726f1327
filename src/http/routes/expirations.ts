import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import type { OrgTokenEntry } from '../../domain/records.js';
import { EXPIRATION_WINDOWS, EXPIRATIONS_LIST_LIMIT, listExpirations, UNUSED_AFTER_DAYS } from '../../domain/tokens/list-expirations.js';
import { principalOf, requireAuth } from '../context.js';
import { AccessToken, errorResponses, OrgParams } from '../schemas.js';
import { accessTokenBody } from './tokens.js';

/** An AccessToken plus the team it belongs to, so the console can link to the place to act on it. */
const ReviewedToken = Type.Object(
  { ...AccessToken.properties, team: Type.Union([Type.String(), Type.Null()], { description: 'the team of a team token; null for an organization token' }) },
  { $id: 'ExpirationToken', title: 'ExpirationToken' },
);

const TokenExpirations = Type.Object(
  {
    within: Type.Integer({ description: 'the window in days' }),
    expiring: Type.Array(Type.Ref('ExpirationToken'), { description: 'active tokens expiring within the window, soonest first' }),
    noExpiry: Type.Array(Type.Ref('ExpirationToken'), { description: 'active tokens that never expire, oldest first' }),
    unused: Type.Array(Type.Ref('ExpirationToken'), { description: `active tokens never used or last used more than ${UNUSED_AFTER_DAYS} days ago, least recently used first` }),
    limit: Type.Integer({ description: 'most tokens each list holds' }),
    truncated: Type.Object(
      { expiring: Type.Boolean(), noExpiry: Type.Boolean(), unused: Type.Boolean() },
      { description: 'true for a list that was cut at `limit`' },
    ),
  },
  { $id: 'TokenExpirations', title: 'TokenExpirations' },
);

const ExpirationsQuery = Type.Object({
  within: Type.Optional(Type.Integer({ enum: [...EXPIRATION_WINDOWS], default: 30, description: 'days: 7, 30 or 90' })),
});

function reviewedTokenBody(e: OrgTokenEntry, nowSec: number) {
  return { ...accessTokenBody(e.token, nowSec), team: e.teamName };
}

/** The organization's tokens that need attention: expiring, never expiring, unused (admins). */
export function registerExpirationRoutes(app: FastifyInstance, deps: Deps): void {
  app.addSchema(ReviewedToken);
  app.addSchema(TokenExpirations);

  app.get(
    '/api/orgs/:org/tokens/expirations',
    {
      onRequest: requireAuth(deps),
      schema: {
        tags: ['tokens'],
        summary: "The organization's organization and team tokens that expire soon, never expire, or go unused (admins)",
        description: `Each list holds at most ${EXPIRATIONS_LIST_LIMIT} tokens; \`truncated\` says which were cut.`,
        params: OrgParams,
        querystring: ExpirationsQuery,
        response: { 200: Type.Ref('TokenExpirations'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof ExpirationsQuery>;
      const r = await listExpirations(deps, principalOf(request), (request.params as { org: string }).org, q.within ?? 30);
      return {
        within: r.within,
        expiring: r.expiring.map((e) => reviewedTokenBody(e, r.nowSec)),
        noExpiry: r.noExpiry.map((e) => reviewedTokenBody(e, r.nowSec)),
        unused: r.unused.map((e) => reviewedTokenBody(e, r.nowSec)),
        limit: EXPIRATIONS_LIST_LIMIT,
        truncated: r.truncated,
      };
    },
  );
}
