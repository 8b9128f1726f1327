import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps, RequestContext } from '../domain/deps.js';
import { DomainError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { authenticate } from '../domain/tokens/authenticate.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Where the request came from, for audit events. Long headers are cut so a row stays small. */
export function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { requestId: String(request.id), sourceIp: request.ip, userAgent: ua === undefined ? null : ua.slice(0, 512) };
}

/** Counts Authorization headers as sent: Node keeps only the first of duplicates. */
function authorizationHeaderCount(request: FastifyRequest): number {
  let n = 0;
  const raw = request.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'authorization') n++;
  return n;
}

/**
 * onRequest hook for routes that need a caller: resolves the Authorization header to a principal
 * before the body is read or validated, so an anonymous caller learns nothing about the route.
 */
export function requireAuth(deps: Deps) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    // Never choose one of two credentials silently.
    if (authorizationHeaderCount(request) > 1) throw new DomainError('invalid_request', 'send exactly one Authorization header');
    request.principal = await authenticate(deps, requestContext(request), request.headers.authorization);
  };
}

/** The authenticated caller; routes that call this registered requireAuth. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('token_missing', 'the access token is missing or invalid');
  return request.principal;
}
