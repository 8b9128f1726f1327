import type { Clock } from '../clock.js';
import { FailureWindow } from '../failure-window.js';
import type { Principal } from '../principal.js';

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
    private readonly clock: Clock,
    private readonly limit = DEFAULT_DRY_RUN_LIMIT,
  ) {
    this.runs = new FailureWindow(limit.windowMs);
  }

  /** Records a run when both counts are under their limits and returns 0; otherwise the seconds to wait. */
  take(principal: Principal, orgId: string): number {
    const now = this.clock.now();
    const caller = `caller:${callerKey(principal)}`;
    const org = `org:${orgId}`;
    const waitMs = Math.max(this.runs.waitMs(caller, this.limit.perCaller, now), this.runs.waitMs(org, this.limit.perOrg, now));
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    this.runs.record(caller, this.limit.perCaller, now);
    this.runs.record(org, this.limit.perOrg, now);
    return 0;
  }
}

/** A person by user id (whatever token or session they use); an organization or team token by its id. */
function callerKey(p: Principal): string {
  if (p.kind === 'user') return `user:${p.user.id}`;
  if (p.kind === 'system') return 'system';
  return `token:${p.token.id}`;
}
