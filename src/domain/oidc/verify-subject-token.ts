import { compactVerify, errors as joseErrors } from 'jose';
import type { Deps } from '../deps.js';
import { DomainError } from '../errors.js';
import type { OidcIssuer, Organization } from '../records.js';
import { ALLOWED_ALGORITHMS } from './key-set.js';

/**
 * The subject-token checks of a token exchange (API.md section 7), shared by the exchange itself
 * and the policy dry run: reading the header and `iss` without trusting them, verifying the
 * signature with the chosen issuer's keys only, the required claims, the times and `aud`.
 *
 * A failed check throws a Refusal naming the check, a stable reason code and a fixed description
 * that never contains an input value or a policy pattern.
 */

/** Clock leeway for `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_LEEWAY_SECONDS = 60;
/** Longest `jti` and `sub` accepted. */
const MAX_CLAIM_LENGTH = 1024;
/**
 * Header parameters that would let the token choose its own key, or change how it is read (J06,
 * J07, J10). `x5t` and `x5t#S256` are allowed and ignored: they only name a certificate by its
 * hash, GitHub Actions puts `x5t` in every ID token, and keys are never picked by them.
 */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64'];
/**
 * Header parameters of encryption and compression (J11): a subject token is a signed JWS, never
 * decrypted or inflated, so a header asking for either is refused before any key is looked at
 * (PBES2 `p2c` iteration counts, `zip: DEF` bombs, RFC 8725 section 3.3).
 */
const ENCRYPTION_HEADERS = ['enc', 'zip', 'p2c', 'p2s', 'epk', 'apu', 'apv', 'iv', 'tag'];
/** How long ago a subject token may have been issued (J16): ID tokens are minted for the exchange and live minutes. */
export const MAX_TOKEN_AGE_SECONDS = 86400;
/**
 * Deepest nesting of objects and arrays accepted in a token's claims (X11). Real ID tokens nest
 * two or three levels; thousands of levels fit in 16 KiB and overflow recursive code downstream.
 */
export const MAX_CLAIM_DEPTH = 32;

export type OAuthError = 'invalid_request' | 'unsupported_grant_type' | 'invalid_target' | 'invalid_scope' | 'temporarily_unavailable';

export interface ExchangeRefusal {
  ok: false;
  status: 400 | 429 | 503;
  /** Seconds, for 429 and 503. */
  retryAfter?: number;
  error: OAuthError;
  /** Stable code of the failed check, for the audit log and tests. */
  reason: string;
  description: string;
}

/** Which step of section 7 refused, recorded on the denial event. */
export type Check = 'parameters' | 'organization' | 'token' | 'issuer' | 'keys' | 'signature' | 'claims' | 'time' | 'audience' | 'jti' | 'policy' | 'scope';

export class Refusal extends Error {
  constructor(
    readonly check: Check,
    readonly refusal: ExchangeRefusal,
  ) {
    super(refusal.description);
  }
}

export function refuse(check: Check, reason: string, description: string, error: OAuthError = 'invalid_request', status: 400 | 503 = 400): never {
  throw new Refusal(check, { ok: false, status, error, reason, description });
}

/** What is read from a subject token before anything about it is trusted. */
export interface UnverifiedToken {
  token: string;
  alg: string;
  kid: string | undefined;
  /** The unverified `iss`: used only to pick a registered issuer, compared exactly. */
  iss: string;
}

/** Decodes the header and `iss` of a compact JWS and refuses headers that are not accepted. */
export function readUnverified(token: string): UnverifiedToken {
  const [headerPart = '', payloadPart = ''] = token.split('.');
  // The header is judged first: a compressed or encrypted payload is refused as such (J11), not
  // as unreadable JSON, and is never inflated or decrypted.
  const header = decodeJsonSegment(headerPart);
  if (!header) refuse('token', 'token_malformed', 'the subject token header or payload is not a base64url JSON object');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
    refuse('token', 'algorithm_not_allowed', 'the subject token must be signed with an asymmetric algorithm (RS*, PS*, ES*, EdDSA)');
  }
  if (FORBIDDEN_HEADERS.some((name) => name in header)) {
    refuse('token', 'header_not_allowed', 'the subject token header carries a parameter that is not accepted (jwk, jku, x5u, x5c, crit, b64)');
  }
  if (ENCRYPTION_HEADERS.some((name) => name in header)) {
    refuse('token', 'token_encrypted', 'the subject token must be a signed JWT; encrypted or compressed tokens (enc, zip, p2c) are not accepted');
  }
  // A nested JWT (`cty: JWT`, RFC 7519 section 5.2) would be a token inside the token whose claims
  // no check here looked at (J11).
  const cty = header.cty;
  if (cty !== undefined && (typeof cty !== 'string' || /^(application\/)?jwt$/i.test(cty))) {
    refuse('token', 'nested_token_not_allowed', 'the subject token must not be a nested JWT (cty: JWT)');
  }
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length > 256)) refuse('token', 'kid_invalid', 'the subject token kid must be a short string');
  const unverified = decodeJsonSegment(payloadPart);
  if (!unverified) refuse('token', 'token_malformed', 'the subject token header or payload is not a base64url JSON object');
  const iss = unverified.iss;
  if (typeof iss !== 'string') refuse('issuer', 'issuer_missing', 'the subject token has no iss claim');
  return { token, alg, kid, iss };
}

/** The refusal for a token whose `iss` is not a registered issuer. */
export function refuseUnknownIssuer(): never {
  refuse('issuer', 'issuer_not_registered', 'the subject token issuer is not registered in this organization');
}

/** Verified claims with a valid `sub`. */
export interface VerifiedToken {
  claims: Record<string, unknown>;
  subject: string;
}

/** Verifies the signature with `issuer`'s keys (each with its own algorithm) and reads the payload. */
export async function verifySignature(deps: Deps, issuer: OidcIssuer, unverified: UnverifiedToken): Promise<VerifiedToken> {
  let keys;
  try {
    keys = await deps.oidc.keys.keysFor(issuer, unverified.alg, unverified.kid);
  } catch (err) {
    if (err instanceof DomainError && err.code === 'issuer_keys_unavailable') {
      refuse('keys', 'issuer_keys_unavailable', 'the issuer keys cannot be fetched right now; retry later', 'temporarily_unavailable', 503);
    }
    throw err;
  }
  if (keys.length === 0) refuse('signature', 'no_matching_key', 'no key of the issuer matches the subject token kid and alg');
  let payloadBytes: Uint8Array | undefined;
  for (const key of keys) {
    try {
      payloadBytes = (await compactVerify(unverified.token, key.key, { algorithms: [key.alg] })).payload;
      break;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) continue;
      throw err;
    }
  }
  if (!payloadBytes) refuse('signature', 'signature_invalid', 'the subject token signature does not verify with the issuer keys');
  const claims = decodeJsonObject(payloadBytes);
  if (!claims) refuse('claims', 'payload_invalid', 'the subject token payload is not a JSON object');
  // Before anything walks the claims (evaluation, the audit record): X11.
  if (nestingDepthExceeds(claims, MAX_CLAIM_DEPTH)) refuse('claims', 'claims_too_deep', `the subject token claims are nested deeper than ${MAX_CLAIM_DEPTH} levels`);
  if (claims.iss !== issuer.url) refuse('issuer', 'issuer_mismatch', 'the subject token issuer is not registered in this organization');
  const sub = claims.sub;
  // No NUL (X10): the subject is stored in the minted token's row, which PostgreSQL's text refuses.
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_CLAIM_LENGTH || sub.includes('\u0000')) refuse('claims', 'sub_invalid', 'the subject token needs a sub claim');
  return { claims, subject: sub };
}

/** The claims single use and the time checks need (J15, J18). */
export interface TokenTimes {
  jti: string;
  exp: number;
  iat: number;
  nbf: number | undefined;
}

export function readRequiredClaims(claims: Record<string, unknown>): TokenTimes {
  const { jti, exp, iat, nbf } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_CLAIM_LENGTH || jti.includes('\u0000')) refuse('claims', 'jti_invalid', 'the subject token needs a jti claim');
  if (!isTime(exp)) refuse('claims', 'exp_invalid', 'the subject token needs a numeric exp claim');
  if (!isTime(iat)) refuse('claims', 'iat_invalid', 'the subject token needs a numeric iat claim');
  if (nbf !== undefined && !isTime(nbf)) refuse('claims', 'nbf_invalid', 'the subject token nbf claim must be numeric');
  return { jti, exp, iat, nbf };
}

/** `exp`, `nbf` and `iat` against the server clock, with the leeway (J15-J17); `iat` at most a day old (J16). */
export function checkTimes(times: TokenTimes, nowSec: number): void {
  if (nowSec >= times.exp + CLOCK_LEEWAY_SECONDS) refuse('time', 'token_expired', 'the subject token has expired');
  if (times.nbf !== undefined && times.nbf > nowSec + CLOCK_LEEWAY_SECONDS) refuse('time', 'token_not_yet_valid', 'the subject token is not valid yet (nbf)');
  if (times.iat > nowSec + CLOCK_LEEWAY_SECONDS) refuse('time', 'iat_in_future', 'the subject token was issued in the future (iat)');
  // A token issued long ago and given a far `exp` is a credential someone kept (J16).
  if (times.iat < nowSec - MAX_TOKEN_AGE_SECONDS - CLOCK_LEEWAY_SECONDS) refuse('time', 'iat_too_old', 'the subject token was issued more than a day ago (iat)');
}

/**
 * Whether objects and arrays in `value` nest deeper than `max` levels (the value itself is level
 * 1). Iterative, so a hostile depth cannot overflow the stack here.
 */
export function nestingDepthExceeds(value: unknown, max: number): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1 });
  }
  return false;
}

/** The audience URIs that name `org`. */
export function orgAudiences(org: Organization): string[] {
  return [`urn:pulumi:org:${org.name}`, `urn:tessera:org:${org.name}`];
}

/** `aud` (J14) contains one of `requested` and every value names this organization. */
export function checkAudience(claims: Record<string, unknown>, org: Organization, requested: readonly string[]): void {
  const aud = claims.aud;
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
  const trusted = orgAudiences(org);
  if (!auds || !auds.some((a) => requested.includes(a)) || !auds.every((a) => trusted.includes(a))) {
    refuse('audience', 'audience_mismatch', 'the subject token aud does not match the requested audience');
  }
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Strict UTF-8: invalid bytes are refused, not replaced (J20). One instance: making one costs more than decoding. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 JSON holding an object, or undefined. */
function decodeJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(UTF8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A base64url segment holding a JSON object, or undefined. */
function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  return decodeJsonObject(Buffer.from(segment, 'base64url'));
}
