import type { Clock } from '../clock.js';
import { FailureWindow } from '../failure-window.js';
import type { Principal } from '../principal.js';

/** Organizations one person may create within the window (X14). */
export const DEFAULT_ORG_CREATION_LIMIT = { perUser: 10, windowMs: 3600_000 };

/**
 * Whom per-actor limits count against: the person (by session or personal token alike), or the
 * organization or team token acting. The operator at the command line is not limited (null).
 */
export function actorKey(principal: Principal): string | null {
  if (principal.kind === 'system') return null;
  if (principal.kind === 'user') return `user:${principal.user.id}`;
  return `token:${principal.token.id}`;
}

/**
 * Counts organizations created per person in a sliding window, in this process's memory (X14):
 * per-organization limits (issuer registrations, exchange policies) must not be multiplied by
 * creating organizations at will. Attempts count when they pass the checks before the insert;
 * the check and the count are one synchronous step, so concurrent requests cannot overshoot.
 */
export class CreationThrottle {
  private readonly created: FailureWindow;

  constructor(
    clock: Clock,
    private readonly limit = DEFAULT_ORG_CREATION_LIMIT,
  ) {
    this.created = new FailureWindow(limit.windowMs, () => clock.now());
  }

  /** Records a creation when under the limit and returns 0; otherwise the seconds to wait. */
  take(principal: Principal): number {
    const actor = actorKey(principal);
    if (actor === null) return 0;
    const waitMs = this.created.take([{ key: actor, limit: this.limit.perUser }]);
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }
}
