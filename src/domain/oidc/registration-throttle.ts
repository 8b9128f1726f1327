import type { Clock } from '../clock.js';

/** Issuer registrations allowed per organization within the window (catalog S05). */
export const DEFAULT_REGISTRATION_LIMIT = { perOrg: 20, windowMs: 3600_000 };

/**
 * Counts issuer registration attempts per organization in a sliding window, in this process's
 * memory. Every attempt counts, failed ones too, because each one makes outbound fetches to a URL
 * the caller chose; the limit keeps an admin (or a stolen admin token) from turning Tessera into a
 * scanner or filling the table.
 */
export class RegistrationThrottle {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limit = DEFAULT_REGISTRATION_LIMIT,
  ) {}

  /** Records an attempt when under the limit and returns 0; otherwise the seconds to wait. */
  take(orgId: string): number {
    const now = this.clock.now();
    const list = (this.attempts.get(orgId) ?? []).filter((t) => now - t < this.limit.windowMs);
    if (list.length >= this.limit.perOrg) {
      this.attempts.set(orgId, list);
      return Math.max(1, Math.ceil((list[0]! + this.limit.windowMs - now) / 1000));
    }
    list.push(now);
    this.attempts.set(orgId, list);
    return 0;
  }
}
