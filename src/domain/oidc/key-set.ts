import { importJWK, type JWK } from 'jose';

/**
 * Turning a JWK Set into the keys that may verify ID token signatures (catalog K03): symmetric
 * (`oct`) keys, encryption keys (`use: enc`, or `key_ops` without `verify`), keys for algorithms
 * outside the asymmetric allow-list, RSA keys under 2048 bits or with an exponent of 1, and keys
 * that do not import (an EC point off its curve, for one: J21) are left out. A set with no usable
 * key is an error, so a broken or empty answer is never taken for the issuer's keys (K02).
 */

/** Asymmetric signature algorithms an ID token may use. `none` and HMAC are never on it. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

export interface VerificationKey {
  kid: string | undefined;
  alg: string;
  key: CryptoKey | Uint8Array;
}

/** Most keys taken from one set; issuers publish a handful. */
const MAX_KEYS = 50;
/** Smallest RSA modulus accepted (RFC 7518 §3.3; jose's own floor). */
export const MIN_RSA_BITS = 2048;

function rsaBits(key: CryptoKey): number {
  const { modulusLength } = key.algorithm as { modulusLength?: unknown };
  return typeof modulusLength === 'number' ? modulusLength : 0;
}

/** An RSA public exponent that is odd and at least 3: with e = 1 any "signature" equal to its own padded digest verifies. */
function usableExponent(e: unknown): boolean {
  if (typeof e !== 'string' || e === '') return false;
  const bytes = Buffer.from(e, 'base64url');
  const value = BigInt(`0x${bytes.toString('hex') || '0'}`);
  return value >= 3n && value % 2n === 1n;
}

/** The algorithm a key without `alg` is used with, from its type and curve. */
function defaultAlgorithm(jwk: JWK): string | undefined {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[jwk.crv ?? ''];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/** Imports the usable keys of a JWK Set; throws when the set is malformed or has no usable key. */
export async function importKeySet(set: unknown): Promise<VerificationKey[]> {
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (typeof set !== 'object' || set === null || !Array.isArray(keys)) throw new Error('not a JWK Set (no keys array)');
  const usable: VerificationKey[] = [];
  for (const item of keys.slice(0, MAX_KEYS)) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const jwk = item as JWK;
    if (jwk.kty === 'oct' || jwk.kty === undefined) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) continue;
    // Private key material has no business in a published key set; refuse to hold it.
    if ('d' in jwk || 'p' in jwk || 'k' in jwk) continue;
    const alg = jwk.alg ?? defaultAlgorithm(jwk);
    if (alg === undefined || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) continue;
    try {
      const key = await importJWK({ ...jwk, ext: true }, alg);
      // RSA under 2048 bits is too weak to trust (catalog J21; jose refuses to verify with it, and
      // would throw a TypeError at exchange time rather than a verification failure), and an
      // exponent of 1 (or an even one) makes forging trivial (RFC 8725 §3.4): such keys are ignored.
      if (jwk.kty === 'RSA' && (key instanceof Uint8Array || rsaBits(key) < MIN_RSA_BITS || !usableExponent(jwk.e))) continue;
      usable.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, alg, key });
    } catch {
      // A key that does not import is skipped, like an unknown key type.
    }
  }
  if (usable.length === 0) throw new Error('the key set has no usable signature key');
  return usable;
}
