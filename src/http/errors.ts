import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '../domain/errors.js';

/** Every domain error code and its HTTP status: a new code does not compile until it is listed here. */
export const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_revoked: 401,
  token_in_query: 400,
  forbidden: 403,
  not_found: 404,
  org_not_found: 404,
  team_not_found: 404,
  user_not_found: 404,
  token_not_found: 404,
  member_not_found: 404,
  expires_invalid: 400,
  name_invalid: 400,
  token_name_taken: 409,
  org_name_taken: 409,
  team_name_taken: 409,
  login_taken: 409,
  continuation_token_invalid: 400,
  last_admin: 409,
  unavailable: 503,
  // sessions and accounts
  setup_done: 409,
  login_failed: 401,
  password_incorrect: 403,
  too_many_attempts: 429,
  password_checks_busy: 503,
  session_invalid: 401,
  csrf_failed: 403,
  reauthentication_required: 403,
  // oidc issuers and policies
  issuer_url_refused: 400,
  issuer_discovery_failed: 400,
  issuer_mismatch: 400,
  issuer_not_found: 404,
  issuer_taken: 409,
  issuer_invalid: 400,
  issuer_keys_unavailable: 503,
  policy_not_found: 404,
  policy_invalid: 400,
  too_many_registrations: 429,
  // membership invitations
  invitation_not_found: 404,
  too_many_invitations: 409,
  too_many_dry_runs: 429,
  host_not_allowed: 421,
  unsupported_media_type: 415,
  too_many_organizations: 429,
  too_many_fetches: 429,
  too_many_failed_authentications: 429,
};

/** The REST error body of API.md section 1. */
export interface RestError {
  code: number;
  message: string;
  reason: string;
  requestId: string;
}

/** Sends the REST error shape. 401s name the accepted scheme, as RFC 6750 asks. */
export function sendError(reply: FastifyReply, status: number, reason: string, message: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'token realm="tessera"');
  if (status === 503) reply.header('retry-after', '1');
  const body: RestError = { code: status, message, reason, requestId: String(reply.request.id) };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
