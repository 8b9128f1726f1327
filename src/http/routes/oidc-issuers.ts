import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { deleteIssuer } from '../../domain/oidc/delete-issuer.js';
import { getIssuer } from '../../domain/oidc/get-issuer.js';
import { listIssuers } from '../../domain/oidc/list-issuers.js';
import { regenerateThumbprints } from '../../domain/oidc/regenerate-thumbprints.js';
import { registerIssuer, type RegisterIssuerInput } from '../../domain/oidc/register-issuer.js';
import { updateIssuer, type UpdateIssuerInput } from '../../domain/oidc/update-issuer.js';
import type { OidcIssuer } from '../../domain/records.js';
import { principalOf, requestContext, requireAuth, requireReauthentication } from '../context.js';
import { errorResponses, OrgParams } from '../schemas.js';

const tags = ['oidc'];
const IssuerParams = Type.Composite([OrgParams, Type.Object({ issuerId: Type.String({ minLength: 1, maxLength: 64 }) })]);
const Thumbprints = Type.Array(Type.String({ maxLength: 128 }), { maxItems: 10 });
const MaxExpiration = Type.Integer({ description: 'seconds; default 90000' });
// Inline rather than a $ref: request bodies are compiled by our own Ajv, which holds no shared schemas.
const JwkSetBody = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 100 }) }, { description: 'a JSON Web Key Set (RFC 7517)' });

/** The wire shape of an issuer (API.md section 6). */
export function issuerBody(i: OidcIssuer) {
  return {
    id: i.id,
    name: i.name,
    url: i.url,
    issuer: i.issuer,
    thumbprints: i.thumbprints,
    maxExpiration: i.maxExpiration,
    ...(i.jwks ? { jwks: i.jwks } : {}),
    created: new Date(i.createdAt).toISOString(),
    modified: new Date(i.modifiedAt).toISOString(),
    lastUsed: i.lastUsed,
  };
}

/** OIDC issuers of an organization (organization admins). */
export function registerOidcIssuerRoutes(app: FastifyInstance, deps: Deps): void {
  const auth = requireAuth(deps);

  app.get(
    '/api/orgs/:org/oidc/issuers',
    {
      onRequest: auth,
      schema: { tags, summary: 'List OIDC issuers (admins)', params: OrgParams, response: { 200: Type.Object({ oidcIssuers: Type.Array(Type.Ref('OidcIssuer')) }), ...errorResponses(401, 403, 404) } },
    },
    async (request) => ({ oidcIssuers: (await listIssuers(deps, principalOf(request), (request.params as { org: string }).org)).map(issuerBody) }),
  );

  app.post(
    '/api/orgs/:org/oidc/issuers',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Register an OIDC issuer (admins)',
        description: 'Fetches the discovery document and key set (unless jwks is given) and records the TLS certificate fingerprint.',
        params: OrgParams,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            url: Type.String({ minLength: 1, maxLength: 2048 }),
            thumbprints: Type.Optional(Thumbprints),
            maxExpiration: Type.Optional(MaxExpiration),
            jwks: Type.Optional(JwkSetBody),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('OidcIssuer'), ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => {
      requireReauthentication(deps, request); // W08: a recent password proof in a console session
      const { issuer } = await registerIssuer(deps, requestContext(request), principalOf(request), (request.params as { org: string }).org, request.body as RegisterIssuerInput);
      return issuerBody(issuer);
    },
  );

  app.get(
    '/api/orgs/:org/oidc/issuers/:issuerId',
    { onRequest: auth, schema: { tags, summary: 'Read an OIDC issuer (admins)', params: IssuerParams, response: { 200: Type.Ref('OidcIssuer'), ...errorResponses(401, 403, 404) } } },
    async (request) => {
      const { org, issuerId } = request.params as { org: string; issuerId: string };
      return issuerBody(await getIssuer(deps, principalOf(request), org, issuerId));
    },
  );

  app.patch(
    '/api/orgs/:org/oidc/issuers/:issuerId',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Update an OIDC issuer (admins); the URL cannot change',
        params: IssuerParams,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            url: Type.Optional(Type.String({ maxLength: 2048, description: 'must equal the registered URL' })),
            thumbprints: Type.Optional(Thumbprints),
            maxExpiration: Type.Optional(MaxExpiration),
            jwks: Type.Optional(Type.Union([JwkSetBody, Type.Null()], { description: 'null: fetch keys from the discovered jwks_uri again' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('OidcIssuer'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      requireReauthentication(deps, request); // W08: a recent password proof in a console session
      const { org, issuerId } = request.params as { org: string; issuerId: string };
      return issuerBody(await updateIssuer(deps, requestContext(request), principalOf(request), org, issuerId, request.body as UpdateIssuerInput));
    },
  );

  app.delete(
    '/api/orgs/:org/oidc/issuers/:issuerId',
    { onRequest: auth, schema: { tags, summary: 'Delete an OIDC issuer and its policy (admins)', params: IssuerParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      requireReauthentication(deps, request); // W08: a recent password proof in a console session
      const { org, issuerId } = request.params as { org: string; issuerId: string };
      await deleteIssuer(deps, requestContext(request), principalOf(request), org, issuerId);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/orgs/:org/oidc/issuers/:issuerId/regenerate-thumbprints',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: 'Record the fingerprints of the certificates now serving the issuer (admins)',
        params: IssuerParams,
        response: { 200: Type.Ref('OidcIssuer'), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      requireReauthentication(deps, request); // W08: a recent password proof in a console session
      const { org, issuerId } = request.params as { org: string; issuerId: string };
      return issuerBody(await regenerateThumbprints(deps, requestContext(request), principalOf(request), org, issuerId));
    },
  );
}
