/** Beyond this many tracked keys the oldest are forgotten, so a spray of addresses cannot exhaust memory. */
const MAX_KEYS = 100_000;

/**
 * Recent failures (or attempts) per key in a sliding window, in this process's memory: the counter
 * behind the sign-in, token-exchange and issuer-registration throttles. Each key keeps at most `limit`
 * instants, so memory per key is bounded too.
 */
export class FailureWindow {
  /** Key → instants (ms) of the most recent failures, oldest first, at most `limit` of them. */
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** Milliseconds until `key` is below `limit` failures again; 0 when it is now. */
  waitMs(key: string, limit: number, now: number): number {
    const list = this.failures.get(key);
    if (!list || list.length < limit) return 0;
    // `limit` failures inside the window: the next attempt waits until the oldest leaves it.
    return Math.max(0, list[0]! + this.windowMs - now);
  }

  record(key: string, limit: number, now: number): void {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    list.push(now);
    if (list.length > limit) list.splice(0, list.length - limit);
    // Re-insert so the Map's iteration order is least recently failed first.
    this.failures.delete(key);
    this.failures.set(key, list);
    if (this.failures.size > MAX_KEYS) this.prune(now);
  }

  forget(key: string): void {
    this.failures.delete(key);
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
