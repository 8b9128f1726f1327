import { isIPv6 } from 'node:net';
import type { Clock } from '../clock.js';
import { FailureWindow, type Limit, type Reservation } from '../failure-window.js';

export interface ThrottleLimits {
  /** Failed attempts allowed per account within the window. */
  perAccount: number;
  /** Failed attempts allowed per source address (IPv6: per /64) within the window. */
  perAddress: number;
  windowMs: number;
}

/** ASVS 6.3.1 / OWASP Authentication cheat sheet: a few tries per account, more per address. */
export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = { perAccount: 5, perAddress: 20, windowMs: 15 * 60_000 };

/** Accounts whose known addresses are remembered, and addresses remembered per account (X08). */
const MAX_KNOWN_ACCOUNTS = 50_000;
const MAX_KNOWN_ADDRESSES = 16;

/**
 * Counts failed sign-ins (and failed current-password checks) per account and per source address,
 * in a sliding window. The counters live in this process's memory: each node counts on its own,
 * and a restart forgets them (catalog F21; see the README). That bounds guessing to
 * limit × nodes per window, which is still far below what an online attack needs, and it keeps a
 * database write off the sign-in path of an attacker who is being refused.
 *
 * Attempts reserve their place before the password is hashed (X03). The per-account limit applies
 * only to requesters not known to the account (X08): an address that signed in to it before (kept
 * here, per node, the last 16 per account) or a browser holding its known-browser cookie. So a
 * stranger guessing cannot lock the owner out; the per-address limit stops the stranger.
 */
export class LoginThrottle {
  private readonly failures: FailureWindow;
  /** Account key → address keys that signed in to it, least recently used account first. */
  private readonly knownAddresses = new Map<string, string[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
  ) {
    this.failures = new FailureWindow(limits.windowMs, () => clock.now());
  }

  /** Seconds until an address may try again (confirmed failures only); 0 when it may now. */
  addressRetryAfterSeconds(address: string | null): number {
    if (address === null) return 0;
    return Math.ceil(this.failures.waitMs(addressKey(address), this.limits.perAddress) / 1000);
  }

  /** Seconds until another attempt for this account from this address is allowed; 0 when it is now. */
  retryAfterSeconds(account: string, address: string | null): number {
    const now = this.clock.now();
    let waitMs = this.failures.waitMs(accountKey(account), this.limits.perAccount, now);
    if (address !== null) waitMs = Math.max(waitMs, this.failures.waitMs(addressKey(address), this.limits.perAddress, now));
    return Math.ceil(waitMs / 1000);
  }

  /**
   * Reserves a place for one password check against the account (unless the requester is known to
   * it) and the address. Waits while attempts in flight fill a limit; refused with the seconds to
   * wait once failures fill it.
   */
  async reserve(account: string, address: string | null, known: boolean): Promise<Reservation> {
    const limits: Limit[] = [];
    if (!known) limits.push({ key: accountKey(account), limit: this.limits.perAccount });
    if (address !== null) limits.push({ key: addressKey(address), limit: this.limits.perAddress });
    return this.failures.reserve(limits);
  }

  /** Records a failed attempt against the account and the address (no reservation: nothing was awaited). */
  recordFailure(account: string, address: string | null): void {
    const now = this.clock.now();
    this.failures.record(accountKey(account), this.limits.perAccount, now);
    if (address !== null) this.failures.record(addressKey(address), this.limits.perAddress, now);
  }

  /** Whether `address` has signed in to the account before (on this node, since it started). */
  isKnownAddress(account: string, address: string | null): boolean {
    if (address === null) return false;
    return this.knownAddresses.get(accountKey(account))?.includes(addressKey(address)) ?? false;
  }

  /**
   * A successful sign-in: the address becomes known to the account. The account's count of failures
   * is not cleared: its owner does not need that (known requesters skip the per-account limit), and
   * clearing it would give a guesser fresh tries each time the owner signs in.
   */
  recordSignIn(account: string, address: string | null): void {
    if (address === null) return;
    const key = accountKey(account);
    const list = (this.knownAddresses.get(key) ?? []).filter((a) => a !== addressKey(address));
    list.push(addressKey(address));
    if (list.length > MAX_KNOWN_ADDRESSES) list.shift();
    this.knownAddresses.delete(key);
    this.knownAddresses.set(key, list);
    if (this.knownAddresses.size > MAX_KNOWN_ACCOUNTS) this.knownAddresses.delete(this.knownAddresses.keys().next().value!);
  }

  /** An administrator reset the password: the account's count of failures starts again. */
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
