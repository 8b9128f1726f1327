import type { Clock } from '../clock.js';
import { FailureWindow, retryAfterSeconds } from '../failure-window.js';
import { actorKey, type Principal } from '../principal.js';

/** Policy dry runs allowed per caller and per organization within the window (catalog X06). */
export const DEFAULT_DRY_RUN_LIMIT = { perCaller: 30, perOrg: 120, windowMs: 60_000 };

/**
 * Counts policy dry runs (POST …/policies/test) per caller and per organization, in this process's
 * memory. A dry run may evaluate a draft of 100 policies against a 30 KB claim: bounded by the
 * evaluation's work budget, but still work an admin could repeat in a loop. Every dry run counts,
 * and the count is taken (reserved) synchronously before any work, so concurrent runs cannot all
 * pass a check made before the others were recorded (X03).
 */
export class DryRunThrottle {
  private readonly runs: FailureWindow;

  constructor(
    clock: Clock,
    private readonly limit = DEFAULT_DRY_RUN_LIMIT,
  ) {
    this.runs = new FailureWindow(limit.windowMs, () => clock.now());
  }

  /** Records a run when both counts are under their limits and returns 0; otherwise the seconds to wait. */
  take(principal: Principal, orgId: string): number {
    // A person by user id (whatever token or session they use); an organization or team token by its id.
    const caller = `caller:${actorKey(principal) ?? 'system'}`;
    const waitMs = this.runs.take([
      { key: caller, limit: this.limit.perCaller },
      { key: `org:${orgId}`, limit: this.limit.perOrg },
    ]);
    return waitMs > 0 ? retryAfterSeconds(waitMs) : 0;
  }
}
