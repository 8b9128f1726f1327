import { DomainError } from '../errors.js';
import { fetchIssuerJson, IssuerFetchError, type IssuerFetchOptions } from './fetch-issuer-document.js';
import { importKeySet } from './key-set.js';

export interface Discovery {
  /** The discovery document's `issuer`, equal to the URL. */
  issuer: string;
  jwksUri: string;
  /** Fingerprints of the certificates that served discovery and keys (none over http). */
  thumbprints: string[];
}

/** The discovery document's URL for an issuer identifier (OIDC Discovery section 4). */
export function discoveryUrl(url: string): string {
  return `${url.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * Fetches an issuer's discovery document and key set under the outbound policy, checks that the
 * document names exactly this issuer (S03), and that the key set has a usable key. `pins` are
 * enforced on both connections when non-empty. The jwks_uri, wherever it points, passes the same
 * address checks as the issuer URL (S04).
 */
export async function discoverIssuer(url: string, options: IssuerFetchOptions, pins: readonly string[]): Promise<Discovery> {
  const discovery = await fetchOrFail(discoveryUrl(url), options, pins, 'discovery document');
  const doc = discovery.body as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (typeof doc !== 'object' || doc === null) throw new DomainError('issuer_discovery_failed', 'the discovery document is not a JSON object');
  if (doc.issuer !== url) {
    // Compared exactly, trailing slash included: a JWT's `iss` is compared the same way.
    throw new DomainError('issuer_mismatch', `the discovery document names issuer ${JSON.stringify(String(doc.issuer ?? ''))}, not ${JSON.stringify(url)}`);
  }
  if (typeof doc.jwks_uri !== 'string') throw new DomainError('issuer_discovery_failed', 'the discovery document has no jwks_uri');
  const keys = await fetchOrFail(doc.jwks_uri, options, pins, 'key set (jwks_uri)');
  try {
    await importKeySet(keys.body);
  } catch (err) {
    throw new DomainError('issuer_discovery_failed', `the key set at jwks_uri is not usable: ${(err as Error).message}`);
  }
  const thumbprints = [...new Set([discovery.thumbprint, keys.thumbprint].filter((t): t is string => t !== null))];
  return { issuer: doc.issuer, jwksUri: doc.jwks_uri, thumbprints };
}

async function fetchOrFail(url: string, options: IssuerFetchOptions, pins: readonly string[], what: string) {
  try {
    return await fetchIssuerJson(url, options, pins);
  } catch (err) {
    if (err instanceof IssuerFetchError && err.kind === 'refused') throw new DomainError('issuer_url_refused', `${what}: ${err.message}`);
    throw new DomainError('issuer_discovery_failed', `could not fetch the ${what}: ${(err as Error).message}`);
  }
}
