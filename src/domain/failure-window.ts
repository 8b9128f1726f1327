/** Beyond this many tracked keys the oldest are forgotten, so a spray of addresses cannot exhaust memory. */
const MAX_KEYS = 100_000;

/** How long an attempt waits, at most, for attempts in flight to resolve before it is refused (X03). */
export const DEFAULT_MAX_WAIT_MS = 5_000;

/** One key of a reservation and the number of failures it allows within the window. */
export interface Limit {
  key: string;
  limit: number;
}

/**
 * A place reserved for one attempt under one or more limits. Exactly one of `fail` or `release`
 * counts; later calls do nothing, so a `finally { ticket.release() }` after `fail()` is safe.
 */
export interface Ticket {
  /** The attempt failed: it now counts as a failure under every limit of the reservation. */
  fail(): void;
  /** The attempt succeeded or was never verified: its place is freed and nothing is counted. */
  release(): void;
}

/** Milliseconds to wait as whole seconds for Retry-After: at least 1, rounded up. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export type Reservation = { ok: true; ticket: Ticket } | { ok: false; retryAfterMs: number };

/**
 * Recent failures per key in a sliding window, in this process's memory: the counter behind every
 * throttle (sign-in, password checks, token exchanges, token authentication, registrations,
 * organization creation). Each key keeps at most `limit` instants, so memory per key is bounded too.
 *
 * Attempts whose outcome takes an `await` (a password hash, a signature check, an audit write) must
 * reserve before the work and resolve after it (catalog X03): an attempt in flight holds a place,
 * so 40 concurrent guesses against a limit of 5 verify 5, not 40. An attempt that succeeds gives
 * its place back. While the limit is filled by confirmed failures the next attempt is refused;
 * while it is filled only with the help of attempts still in flight, the next one waits (at most
 * `maxWaitMs`) for them to resolve, so a client that only succeeds is never refused because of its
 * own concurrency.
 */
export class FailureWindow {
  /** Key → instants (ms) of the most recent failures, oldest first, at most `limit` of them. */
  private readonly failures = new Map<string, number[]>();
  /** Key → attempts reserved and not yet resolved. */
  private readonly inFlight = new Map<string, number>();
  /** Attempts waiting for an attempt in flight to resolve; woken all at once, each re-checks. */
  private waiters: Array<() => void> = [];

  constructor(
    private readonly windowMs: number,
    /** The injected clock's `now`, for the window; waits themselves are real time. */
    private readonly now: () => number = Date.now,
    private readonly maxWaitMs = DEFAULT_MAX_WAIT_MS,
  ) {}

  /** Milliseconds until `key` is below `limit` confirmed failures again; 0 when it is now. */
  waitMs(key: string, limit: number, now = this.now()): number {
    const list = this.recent(key, now);
    if (list.length < limit) return 0;
    // `limit` failures inside the window: the next attempt waits until the oldest leaves it.
    return Math.max(0, list[list.length - limit]! + this.windowMs - now);
  }

  /** Counts a failure that needed no reservation (nothing was awaited between check and outcome). */
  record(key: string, limit: number, now = this.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    if (list.length > limit) list.splice(0, list.length - limit);
    // Re-insert so the Map's iteration order is least recently failed first.
    this.failures.delete(key);
    this.failures.set(key, list);
    if (this.failures.size > MAX_KEYS) this.prune(now);
  }

  /**
   * For throttles of attempts rather than failures (every attempt counts): records one when every
   * limit has room and returns 0, otherwise returns the milliseconds to wait and records nothing.
   * Synchronous, so concurrent callers cannot both take the last place.
   */
  take(limits: Limit[]): number {
    const now = this.now();
    const wait = Math.max(0, ...limits.map((l) => this.waitMs(l.key, l.limit, now)));
    if (wait > 0) return wait;
    for (const l of limits) this.record(l.key, l.limit, now);
    return 0;
  }

  /**
   * Reserves a place for one attempt under every limit at once (all or none). Refused when
   * confirmed failures fill any limit; waits while attempts in flight fill it, and is refused
   * (`retryAfterMs` 1000) if they have not resolved within `maxWaitMs`.
   */
  async reserve(limits: Limit[]): Promise<Reservation> {
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      const now = this.now();
      const refusedMs = Math.max(0, ...limits.map((l) => this.waitMs(l.key, l.limit, now)));
      if (refusedMs > 0) return { ok: false, retryAfterMs: refusedMs };
      const full = limits.some((l) => this.recent(l.key, now).length + (this.inFlight.get(l.key) ?? 0) >= l.limit);
      if (!full) return { ok: true, ticket: this.hold(limits) };
      const left = deadline - Date.now();
      if (left <= 0) return { ok: false, retryAfterMs: 1000 };
      await this.nextResolution(left);
    }
  }

  /** Forgets every failure of `key` (an administrator reset the account's password). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  private hold(limits: Limit[]): Ticket {
    for (const l of limits) this.inFlight.set(l.key, (this.inFlight.get(l.key) ?? 0) + 1);
    let open = true;
    const resolve = (failed: boolean): void => {
      if (!open) return;
      open = false;
      const now = this.now();
      for (const l of limits) {
        const left = (this.inFlight.get(l.key) ?? 1) - 1;
        if (left > 0) this.inFlight.set(l.key, left);
        else this.inFlight.delete(l.key);
        if (failed) this.record(l.key, l.limit, now);
      }
      const woken = this.waiters;
      this.waiters = [];
      for (const wake of woken) wake();
    };
    return { fail: () => resolve(true), release: () => resolve(false) };
  }

  private nextResolution(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }

  /** The key's failures still inside the window (the stored list, trimmed in place). */
  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    let drop = 0;
    while (drop < list.length && list[drop]! <= now - this.windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    return list;
  }

  private prune(now: number): void {
    for (const [key, list] of this.failures) {
      if (list[list.length - 1]! <= now - this.windowMs) this.failures.delete(key);
    }
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_KEYS) break;
      this.failures.delete(key);
    }
  }
}
