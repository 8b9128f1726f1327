import type { DomainConfig } from '../deps.js';
import { fail } from '../errors.js';
import { parseIsoSeconds } from '../when.js';

/**
 * Validates a requested `expires` (unix seconds, or an ISO 8601 date-time string; absent or 0 =
 * never) and returns unix seconds, 0 meaning never. It must lie in the future and no further ahead
 * than the configured maximum lifetime.
 */
export function resolveExpires(requested: number | string | null | undefined, nowSec: number, config: Pick<DomainConfig, 'maxTokenLifetimeSeconds' | 'requireTokenExpiry'>): number {
  let expires: number | undefined;
  if (requested === undefined || requested === null || requested === 0) expires = 0;
  else if (typeof requested === 'number') expires = Number.isSafeInteger(requested) && requested > 0 ? requested : undefined;
  else if (/^\d{1,15}$/.test(requested)) expires = Number(requested) || 0;
  else expires = parseIsoSeconds(requested);

  if (expires === undefined) {
    fail('expires_invalid', 'expires must be unix seconds or an ISO 8601 date-time');
  }
  if (expires === 0) {
    if (config.requireTokenExpiry) fail('expires_invalid', 'this server requires every token to have an expiry date');
    return 0;
  }
  if (expires <= nowSec) fail('expires_invalid', 'expires must lie in the future');
  if (expires - nowSec > config.maxTokenLifetimeSeconds) {
    const days = Math.floor(config.maxTokenLifetimeSeconds / 86400);
    fail('expires_invalid', `expires may be at most ${days} days ahead`);
  }
  return expires;
}

