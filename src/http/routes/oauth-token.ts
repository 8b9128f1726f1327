import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Deps } from '../../domain/deps.js';
import { DomainError } from '../../domain/errors.js';
import { exchangeToken } from '../../domain/oidc/exchange-token.js';
import { paramsFromForm, paramsFromJson, type ParamsResult } from '../../domain/oidc/exchange-params.js';
import { isUnavailable } from '../../storage/dialect.js';
import { isClientAbort } from '../client-error.js';
import { requestContext } from '../context.js';

/** The token endpoint's bodies are a few kilobytes; the subject token itself is capped at 16 KiB. */
const TOKEN_BODY_LIMIT = 64 * 1024;

const FORM = 'application/x-www-form-urlencoded';

const OAuthErrorBody = Type.Object(
  {
    error: Type.String({ description: 'invalid_request, unsupported_grant_type, invalid_target, invalid_scope, temporarily_unavailable or server_error' }),
    error_description: Type.String({ description: 'which check failed; never echoes the request' }),
    request_id: Type.String(),
  },
  { description: 'the OAuth error shape (RFC 6749 section 5.2)' },
);
const JSON_TYPE = 'application/json';

/** Sends the OAuth error shape of API.md section 1 (RFC 6749 §5.2), never cached. */
function sendOAuthError(reply: FastifyReply, status: number, error: string, description: string, retryAfter = 5): FastifyReply {
  if (status === 503 || status === 429) reply.header('retry-after', String(retryAfter));
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send({ error, error_description: description, request_id: String(reply.request.id) });
}

/**
 * Which body reader a Content-Type selects: exactly `application/x-www-form-urlencoded` or
 * `application/json`, case-insensitive, optionally with `charset=utf-8` and nothing else.
 * Anything else (multipart, text/plain, other charsets, mangled spellings) is refused the same
 * way, with 400 invalid_request (catalog T10).
 */
function bodyKind(contentType: string | undefined): 'form' | 'json' | undefined {
  if (contentType === undefined) return undefined;
  const [essence, ...params] = contentType.split(';');
  const type = essence!.trim().toLowerCase();
  if (essence !== essence!.trimStart() || /[\t\r\n]/.test(contentType)) return undefined;
  for (const p of params) {
    if (p.trim().toLowerCase().replace(/"/g, '') !== 'charset=utf-8') return undefined;
  }
  if (type === FORM) return 'form';
  if (type === JSON_TYPE) return 'json';
  return undefined;
}

const UNSUPPORTED = 'the body must be application/x-www-form-urlencoded or application/json';

/**
 * `POST /api/oauth/token` (API.md section 7), in its own encapsulated scope: the form parser
 * (raw bytes, decoded strictly by paramsFromForm) and the OAuth error shape apply to this route
 * only. No Authorization header is read: the subject token is the credential.
 */
export async function oauthTokenRoutes(app: FastifyInstance, opts: { deps: Deps }): Promise<void> {
  const { deps } = opts;
  app.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: TOKEN_BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) return sendOAuthError(reply, 400, 'invalid_request', error.message);
    if (isClientAbort(error, request)) {
      request.log.info({ code: error.code }, 'client aborted the request');
      return sendOAuthError(reply, 400, 'invalid_request', 'the client closed the connection before the request body was complete');
    }
    if (isUnavailable(error)) {
      request.log.warn({ code: (error as { code?: string }).code }, 'database unavailable');
      return sendOAuthError(reply, 503, 'temporarily_unavailable', 'the database is unavailable; retry shortly');
    }
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendOAuthError(reply, 413, 'invalid_request', 'the request body is too large');
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendOAuthError(reply, 400, 'invalid_request', UNSUPPORTED);
    if (status >= 400 && status < 500) return sendOAuthError(reply, 400, 'invalid_request', 'the request body could not be read');
    // Never log the error with the request: it may hold the body.
    request.log.error({ err: { message: error.message, code: error.code } }, 'token exchange failed');
    return sendOAuthError(reply, 500, 'server_error', 'internal error; quote the request id when reporting it');
  });

  // T11: parameters in a URL end up in logs and histories; only POST is served (405, OAuth shape).
  // The query string is never logged (app.ts logs the path alone).
  app.get('/api/oauth/token', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('allow', 'POST');
    return sendOAuthError(reply, 405, 'invalid_request', 'use POST with the parameters in the body');
  });

  app.post(
    '/api/oauth/token',
    {
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: {
        tags: ['oidc'],
        summary: 'Exchange an OIDC ID token for a short-lived access token (RFC 8693)',
        description:
          'No Authorization header: the subject token is the credential. The body is application/x-www-form-urlencoded or application/json with ' +
          'grant_type, audience, subject_token, subject_token_type, requested_token_type, scope and expiration (API.md section 7). ' +
          'Errors use the OAuth shape {error, error_description, request_id}.',
        security: [],
        response: {
          200: Type.Object(
            {
              access_token: Type.String({ description: 'the minted access token' }),
              issued_token_type: Type.String({ description: 'urn:pulumi:token-type:access_token:organization, team or personal' }),
              token_type: Type.Literal('token'),
              expires_in: Type.Integer({ description: 'seconds the token lives' }),
              scope: Type.String(),
            },
            { $id: 'TokenExchangeResponse', title: 'TokenExchangeResponse' },
          ),
          '4xx': OAuthErrorBody,
          '5xx': OAuthErrorBody,
        },
      },
    },
    async (request, reply) => {
      // T11: a query string may carry the subject token, which the URL has then exposed to proxies,
      // histories and logs; parameters belong in the body (RFC 6749 §3.2), so nothing is minted.
      if (request.url.includes('?')) return sendOAuthError(reply, 400, 'invalid_request', 'the parameters belong in the request body, not the URL');
      const kind = bodyKind(request.headers['content-type']);
      let params: ParamsResult;
      if (kind === 'form' && Buffer.isBuffer(request.body)) params = paramsFromForm(request.body);
      else if (kind === 'json' && request.body !== undefined) params = paramsFromJson(request.body);
      else return sendOAuthError(reply, 400, 'invalid_request', UNSUPPORTED);

      const result = await exchangeToken(deps, requestContext(request), params);
      if (!result.ok) {
        request.log.info({ reason: result.reason, status: result.status }, 'token exchange refused');
        return sendOAuthError(reply, result.status, result.error, result.description, result.retryAfter);
      }
      return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json; charset=utf-8').send(result.body);
    },
  );
}
