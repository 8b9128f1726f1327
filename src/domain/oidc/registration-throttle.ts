import type { Clock } from '../clock.js';
import { FailureWindow } from '../failure-window.js';

/** Issuer registrations allowed per organization within the window (catalog S05). */
export const DEFAULT_REGISTRATION_LIMIT = { perOrg: 20, windowMs: 3600_000 };

/**
 * Counts issuer registration attempts per organization in a sliding window, in this process's
 * memory. Every attempt counts, failed ones too, because each one makes outbound fetches to a URL
 * the caller chose; the limit keeps an admin (or a stolen admin token) from turning Tessera into a
 * scanner or filling the table.
 */
export class RegistrationThrottle {
  private readonly attempts: FailureWindow;

  constructor(
    private readonly clock: Clock,
    private readonly limit = DEFAULT_REGISTRATION_LIMIT,
  ) {
    this.attempts = new FailureWindow(limit.windowMs);
  }

  /** Records an attempt when under the limit and returns 0; otherwise the seconds to wait. */
  take(orgId: string): number {
    const now = this.clock.now();
    const waitMs = this.attempts.waitMs(orgId, this.limit.perOrg, now);
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    this.attempts.record(orgId, this.limit.perOrg, now);
    return 0;
  }
}
