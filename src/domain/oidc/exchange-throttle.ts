import type { Clock } from '../clock.js';
import { FailureWindow } from '../failure-window.js';
import { addressKey } from '../sessions/login-throttle.js';

/** Refused exchanges allowed per source address (IPv6: per /64) within the window. */
export const DEFAULT_EXCHANGE_LIMIT = { perAddress: 60, windowMs: 60_000 };

/**
 * Slows a source that keeps sending subject tokens that are refused. Every refused attempt naming
 * an existing organization writes an audit event, so an unthrottled flood of bad JWTs would grow
 * the audit table without bound; past the limit the endpoint answers 429 without verifying,
 * writing or auditing anything until the window frees. Successful exchanges never count, so a
 * busy CI fleet behind one address is not slowed by its own traffic. Counters are per node, in
 * memory (like the sign-in throttle).
 */
export class ExchangeThrottle {
  private readonly refusals: FailureWindow;

  constructor(
    private readonly clock: Clock,
    private readonly limit = DEFAULT_EXCHANGE_LIMIT,
  ) {
    this.refusals = new FailureWindow(limit.windowMs);
  }

  /** Seconds until this address may try again; 0 when it may now. */
  retryAfterSeconds(address: string | null): number {
    if (address === null) return 0;
    return Math.ceil(this.refusals.waitMs(addressKey(address), this.limit.perAddress, this.clock.now()) / 1000);
  }

  recordRefusal(address: string | null): void {
    if (address !== null) this.refusals.record(addressKey(address), this.limit.perAddress, this.clock.now());
  }
}
