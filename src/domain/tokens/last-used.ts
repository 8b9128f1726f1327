import { nowSeconds, type Clock } from '../clock.js';
import type { Store } from '../store.js';
import type { TokenRecord } from '../records.js';

/** A use is written only when the stored value is at least this old. */
const STALE_AFTER_SECONDS = 30;
/** How often pending uses are written. Stored `lastUsed` lags reality by at most the sum: 45 s. */
export const FLUSH_INTERVAL_MS = 15_000;

/**
 * Keeps `lastUsed` accurate to within a minute without a database write per request: uses are
 * noted in memory and written in one batch every FLUSH_INTERVAL_MS, and on shutdown. Losing the
 * pending batch in a crash only makes `lastUsed` older; it never affects authentication.
 */
export class LastUsedTracker {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Records that `token` was just used. */
  note(token: TokenRecord): void {
    const now = nowSeconds(this.clock);
    if (now - this.lastUsedOf(token) >= STALE_AFTER_SECONDS) this.pending.set(token.id, now);
  }

  /** The freshest `lastUsed` this process knows for `token`. */
  lastUsedOf(token: TokenRecord): number {
    return Math.max(token.lastUsed, this.pending.get(token.id) ?? 0);
  }

  /** Writes every pending use. Safe to call concurrently; calls run one after another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending].map(([id, lastUsed]) => ({ id, lastUsed }));
      this.pending = new Map();
      await this.store.touchTokens(batch);
    });
    return this.flushing;
  }

  start(onError: (err: unknown) => void): void {
    this.timer = setInterval(() => this.flush().catch(onError), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
