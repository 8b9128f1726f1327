import { nowSeconds, type Clock } from '../clock.js';
import type { Store } from '../store.js';
import type { OidcIssuer, TokenRecord } from '../records.js';

/** A use is written only when the stored value is at least this old. */
const STALE_AFTER_SECONDS = 30;
/** How often pending uses are written. Stored `lastUsed` lags reality by at most the sum: 45 s. */
export const FLUSH_INTERVAL_MS = 15_000;

/**
 * Keeps `lastUsed` of tokens and of OIDC issuers accurate to within a minute without a database
 * write per request: uses are noted in memory and written in one batch every FLUSH_INTERVAL_MS,
 * and on shutdown. Losing the pending batch in a crash only makes `lastUsed` older; it never
 * affects authentication. (For issuers it also keeps every exchange of one issuer from updating,
 * and on PostgreSQL locking, the same row.)
 */
export class LastUsedTracker {
  private pending = new Map<string, number>();
  private pendingIssuers = new Map<string, number>();
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

  /** Records that `issuer` just took part in a token exchange. */
  noteIssuer(issuer: OidcIssuer): void {
    const now = nowSeconds(this.clock);
    if (now - this.fresh(issuer).lastUsed >= STALE_AFTER_SECONDS) this.pendingIssuers.set(issuer.id, now);
  }

  /** `issuer` with the freshest `lastUsed` this process knows. */
  fresh(issuer: OidcIssuer): OidcIssuer {
    const pending = this.pendingIssuers.get(issuer.id);
    return pending !== undefined && pending > issuer.lastUsed ? { ...issuer, lastUsed: pending } : issuer;
  }

  /** Writes every pending use. Safe to call concurrently; calls run one after another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = [...this.pending].map(([id, lastUsed]) => ({ id, lastUsed }));
      const issuers = [...this.pendingIssuers];
      this.pending = new Map();
      this.pendingIssuers = new Map();
      if (batch.length > 0) await this.store.touchTokens(batch);
      if (issuers.length > 0) {
        await this.store.transaction(async (tx) => {
          for (const [id, lastUsed] of issuers) await tx.touchIssuer(id, lastUsed);
        });
      }
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
