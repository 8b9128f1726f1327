import type { Clock } from '../clock.js';
import { FailureWindow, retryAfterSeconds } from '../failure-window.js';
import { actorKey, type Principal } from '../principal.js';

/** Organizations one person may create within the window (X14). */
export const DEFAULT_ORG_CREATION_LIMIT = { perUser: 10, windowMs: 3600_000 };

/** A place reserved for one creation: `done(true)` counts it, `done(false)` gives the place back. */
export type CreationReservation = { ok: true; done(created: boolean): void } | { ok: false; retryAfterSeconds: number };

/**
 * Counts organizations created per person in a sliding window, in this process's memory (X14):
 * per-organization limits (issuer registrations, exchange policies) must not be multiplied by
 * creating organizations at will. Only creations count: a name that is taken or invalid costs
 * nothing. A creation reserves its place before the insert (X03), so concurrent requests cannot
 * overshoot; past the limit, attempts wait for those in flight and are refused once they counted.
 */
export class CreationThrottle {
  private readonly created: FailureWindow;

  constructor(
    clock: Clock,
    private readonly limit = DEFAULT_ORG_CREATION_LIMIT,
  ) {
    this.created = new FailureWindow(limit.windowMs, () => clock.now());
  }

  /** Reserves a place for one creation by `principal`, or says how long to wait. */
  async reserve(principal: Principal): Promise<CreationReservation> {
    const actor = actorKey(principal);
    if (actor === null) return { ok: true, done: () => {} };
    const reservation = await this.created.reserve([{ key: actor, limit: this.limit.perUser }]);
    if (!reservation.ok) return { ok: false, retryAfterSeconds: retryAfterSeconds(reservation.retryAfterMs) };
    const { ticket } = reservation;
    // The window counts "failures"; here what counts is a creation that committed.
    return { ok: true, done: (created) => (created ? ticket.fail() : ticket.release()) };
  }
}
