import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import type { Organization, OidcIssuer } from '../records.js';
import { normaliseThumbprint } from './fetch-issuer-document.js';
import { importKeySet } from './key-set.js';

/**
 * Checks on the fields an administrator sets on an issuer, shared by registration and update, and
 * the lookup of an issuer within an organization.
 */

export const DEFAULT_MAX_EXPIRATION = 90000;
export const MIN_MAX_EXPIRATION = 60;
/** Thirty days: exchanged tokens are meant to be short-lived. */
export const MAX_MAX_EXPIRATION = 30 * 86400;
export const MAX_THUMBPRINTS = 10;

/** A name of 1 to 100 characters with no control characters. */
export function checkIssuerName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100 || /\p{Cc}/u.test(trimmed)) fail('issuer_invalid', 'issuer names are 1 to 100 characters without control characters');
  return trimmed;
}

export function checkMaxExpiration(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_EXPIRATION;
  if (!Number.isInteger(value) || value < MIN_MAX_EXPIRATION || value > MAX_MAX_EXPIRATION) {
    fail('issuer_invalid', `maxExpiration must be a whole number of seconds from ${MIN_MAX_EXPIRATION} to ${MAX_MAX_EXPIRATION}`);
  }
  return value;
}

/** Normalises thumbprints to lowercase hex without colons, removing duplicates. */
export function checkThumbprints(values: readonly string[]): string[] {
  if (values.length > MAX_THUMBPRINTS) fail('issuer_invalid', `at most ${MAX_THUMBPRINTS} thumbprints are allowed`);
  const out: string[] = [];
  for (const v of values) {
    const t = normaliseThumbprint(v) ?? fail('issuer_invalid', 'thumbprints are SHA-256 certificate fingerprints: 64 hexadecimal digits');
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** A static key set must hold at least one usable signature key. */
export async function checkStaticJwks(jwks: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    await importKeySet(jwks);
  } catch (err) {
    fail('issuer_invalid', `jwks: ${(err as Error).message}`);
  }
  return jwks;
}

/** An issuer of the organization; another organization's issuer is not found either (Z07). */
export async function findIssuerOrFail(deps: Deps, org: Organization, issuerId: string): Promise<OidcIssuer> {
  return (await deps.store.findIssuer(org.id, issuerId)) ?? fail('issuer_not_found', `issuer '${issuerId}' not found`);
}
