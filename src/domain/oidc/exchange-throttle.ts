import type { Clock } from '../clock.js';
import { FailureWindow, type Reservation } from '../failure-window.js';
import { addressKey } from '../sessions/login-throttle.js';

/** Refused exchanges allowed per source address (IPv6: per /64) within the window. */
export const DEFAULT_EXCHANGE_LIMIT = { perAddress: 60, windowMs: 60_000 };

/**
 * Slows a source that keeps sending subject tokens that are refused. Every refused attempt naming
 * an existing organization writes an audit event, so an unthrottled flood of bad JWTs would grow
 * the audit table without bound. Each attempt reserves a place before it is verified (X03), so
 * concurrent attempts cannot overshoot: at most `perAddress` refusals per window are verified and
 * written in full; past that the endpoint answers 429 without verifying or writing anything, and
 * only counts the answer (X05). Successful exchanges give their place back, and an attempt that
 * finds the limit filled only by attempts still in flight waits for them, so a busy CI fleet behind
 * one address is not slowed by its own traffic. Counters are per node, in memory (like the sign-in
 * throttle).
 */
export class ExchangeThrottle {
  private readonly refusals: FailureWindow;
  /** Answers of 429 since this process started: the count the refused-unwritten attempts leave. */
  throttled = 0;

  constructor(
    private readonly clock: Clock,
    private readonly limit = DEFAULT_EXCHANGE_LIMIT,
  ) {
    this.refusals = new FailureWindow(limit.windowMs, () => clock.now());
  }

  /** Reserves a place for one attempt from the address; a null address is not limited. */
  async reserve(address: string | null): Promise<Reservation> {
    const reservation = await this.refusals.reserve(address === null ? [] : [{ key: addressKey(address), limit: this.limit.perAddress }]);
    if (!reservation.ok) this.throttled++;
    return reservation;
  }
}
