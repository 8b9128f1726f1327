import type { Clock } from '../clock.js';
import { FailureWindow, retryAfterSeconds } from '../failure-window.js';
import { actorKey, type Principal } from '../principal.js';

/**
 * Operations that fetch from a caller-chosen URL (issuer registrations and thumbprint regenerations)
 * allowed per organization (catalog S05) and per acting user (X14) within the window.
 */
export const DEFAULT_REGISTRATION_LIMIT = { perOrg: 20, perUser: 30, windowMs: 3600_000 };

/**
 * Counts outbound-fetching issuer operations per organization and per acting person, in a sliding
 * window, in this process's memory. Every attempt counts, failed ones too, because each one makes
 * outbound fetches to a URL the caller chose; the limits keep an admin (or a stolen admin token)
 * from turning Tessera into a scanner or filling the table, and the per-user limit keeps one person
 * from multiplying the per-organization limit by creating organizations. The check and the count
 * are one synchronous step, so concurrent requests cannot overshoot (X03).
 */
export class RegistrationThrottle {
  private readonly attempts: FailureWindow;

  constructor(
    clock: Clock,
    private readonly limit: { perOrg: number; perUser?: number; windowMs: number } = DEFAULT_REGISTRATION_LIMIT,
  ) {
    this.attempts = new FailureWindow(limit.windowMs, () => clock.now());
  }

  /** Records an attempt when under every limit and returns 0; otherwise the seconds to wait. */
  take(orgId: string, principal: Principal = { kind: 'system' }): number {
    const actor = actorKey(principal);
    const perUser = this.limit.perUser ?? DEFAULT_REGISTRATION_LIMIT.perUser;
    const waitMs = this.attempts.take([{ key: `org:${orgId}`, limit: this.limit.perOrg }, ...(actor === null ? [] : [{ key: actor, limit: perUser }])]);
    return waitMs > 0 ? retryAfterSeconds(waitMs) : 0;
  }
}
