/**
 * The error catalogue. Every failure the domain reports carries one of these codes; the HTTP layer
 * maps each code to a status in one table (src/http/errors.ts), so adding a code here does not
 * compile until it has a status there.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'token_missing'
  | 'token_invalid'
  | 'token_expired'
  | 'token_revoked'
  | 'token_in_query'
  | 'forbidden'
  | 'not_found'
  | 'org_not_found'
  | 'team_not_found'
  | 'user_not_found'
  | 'token_not_found'
  | 'member_not_found'
  | 'expires_invalid'
  | 'name_invalid'
  | 'token_name_taken'
  | 'org_name_taken'
  | 'team_name_taken'
  | 'login_taken'
  | 'continuation_token_invalid'
  | 'last_admin'
  | 'unavailable'
  // sessions and accounts
  | 'setup_done'
  | 'login_failed'
  | 'password_incorrect'
  | 'too_many_attempts'
  | 'password_checks_busy'
  | 'session_invalid'
  | 'csrf_failed'
  | 'reauthentication_required'
  // oidc issuers and policies
  | 'issuer_url_refused'
  | 'issuer_discovery_failed'
  | 'issuer_mismatch'
  | 'issuer_not_found'
  | 'issuer_taken'
  | 'issuer_invalid'
  | 'issuer_keys_unavailable'
  | 'policy_not_found'
  | 'policy_invalid'
  | 'too_many_registrations'
  // membership invitations
  | 'invitation_not_found'
  | 'too_many_invitations'
  | 'too_many_dry_runs'
  | 'host_not_allowed'
  | 'unsupported_media_type'
  | 'too_many_organizations'
  | 'too_many_fetches'
  | 'too_many_failed_authentications';

export class DomainError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
  }
}

/** Shorthand for throwing a DomainError. */
export function fail(code: ErrorCode, message: string): never {
  throw new DomainError(code, message);
}

/**
 * A refusal the caller may retry later (throttling): the HTTP layer sends `Retry-After` with
 * `retryAfterSeconds`.
 */
export class RetryLaterError extends DomainError {
  readonly retryAfterSeconds: number;
  constructor(code: ErrorCode, message: string, retryAfterSeconds: number) {
    super(code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
