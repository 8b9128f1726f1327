import { isIPv6 } from 'node:net';
import type { Clock } from '../clock.js';
import { FailureWindow } from '../failure-window.js';

export interface ThrottleLimits {
  /** Failed attempts allowed per account within the window. */
  perAccount: number;
  /** Failed attempts allowed per source address (IPv6: per /64) within the window. */
  perAddress: number;
  windowMs: number;
}

/** ASVS 6.3.1 / OWASP Authentication cheat sheet: a few tries per account, more per address. */
export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = { perAccount: 5, perAddress: 20, windowMs: 15 * 60_000 };

/**
 * Counts failed sign-ins (and failed current-password checks) per account and per source address,
 * in a sliding window. The counters live in this process's memory: each node counts on its own,
 * and a restart forgets them (catalog F21; see the README). That bounds guessing to
 * limit × nodes per window, which is still far below what an online attack needs, and it keeps a
 * database write off the sign-in path of an attacker who is being refused.
 */
export class LoginThrottle {
  private readonly failures: FailureWindow;

  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
  ) {
    this.failures = new FailureWindow(limits.windowMs);
  }

  /** Seconds until another attempt for this account from this address is allowed; 0 when it is now. */
  retryAfterSeconds(account: string, address: string | null): number {
    const now = this.clock.now();
    let waitMs = this.failures.waitMs(accountKey(account), this.limits.perAccount, now);
    if (address !== null) waitMs = Math.max(waitMs, this.failures.waitMs(addressKey(address), this.limits.perAddress, now));
    return Math.ceil(waitMs / 1000);
  }

  /** Records a failed attempt against the account and the address. */
  recordFailure(account: string, address: string | null): void {
    const now = this.clock.now();
    this.failures.record(accountKey(account), this.limits.perAccount, now);
    if (address !== null) this.failures.record(addressKey(address), this.limits.perAddress, now);
  }

  /**
   * A successful sign-in clears the account's count (its owner is back), but not the address's:
   * otherwise an attacker with one account of their own could reset their address's count.
   */
  recordSuccess(account: string): void {
    this.failures.forget(accountKey(account));
  }
}

function accountKey(login: string): string {
  // Case-folded: a failure against `Alice` counts for `alice` too.
  return `account:${login.toLowerCase()}`;
}

/**
 * IPv4 addresses count one by one; IPv6 addresses by their /64, since one host usually holds a
 * whole /64 and could otherwise rotate through addresses at will.
 */
export function addressKey(address: string): string {
  const bare = address.split('%')[0]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return `address:${mapped[1]}`;
  if (!isIPv6(bare)) return `address:${bare}`;
  const [head = '', tail] = bare.toLowerCase().split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (…:1.2.3.4) lies beyond the first 64 bits; count it as one group pair.
  const rightGroups = right.flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - rightGroups.length).fill('0'), ...rightGroups];
  return `address:${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
