import type { Clock } from '../clock.js';
import { FailureWindow, retryAfterSeconds } from '../failure-window.js';
import { addressKey } from '../sessions/login-throttle.js';

/**
 * Failed token authentications (unknown, malformed, or of a disabled or deleted owner) allowed per
 * source address (IPv6: per /64) within the window. A client with a valid token never fails; one
 * with a wrong token fails on every request, and 120 a minute is far above any real client's retry
 * rate, while a guesser's 5,000 a second is far beyond it (catalog A10).
 */
export const DEFAULT_TOKEN_FAILURE_LIMIT = { perAddress: 120, windowMs: 60_000 };

/**
 * Counts failed token authentications per source address; past the limit the address is answered
 * 429 with Retry-After instead of 401 (A10). Only failures are refused: a valid token is looked up
 * and served whatever its address's count, so a broken client behind a shared address cannot lock
 * out the working ones, and other addresses are never affected. The lookup (one indexed read by
 * hash) runs before the count is checked and the failure recorded, with no `await` between those
 * two, so concurrent failures cannot overshoot the limit (X03). Per node, in memory.
 */
export class TokenAuthThrottle {
  private readonly failures: FailureWindow;

  constructor(
    clock: Clock,
    private readonly limit = DEFAULT_TOKEN_FAILURE_LIMIT,
  ) {
    this.failures = new FailureWindow(limit.windowMs, () => clock.now());
  }

  /**
   * Counts one failure from the address. Returns 0 when it was within the limit (answer 401),
   * otherwise the seconds until the address may fail again (answer 429; nothing more is counted).
   */
  fail(address: string | null): number {
    if (address === null) return 0;
    const waitMs = this.failures.take([{ key: addressKey(address), limit: this.limit.perAddress }]);
    return waitMs > 0 ? retryAfterSeconds(waitMs) : 0;
  }
}
