import type { Clock } from '../clock.js';

/** Tokens whose uses are being counted; past this the least recently audited is forgotten. */
const MAX_TOKENS = 10_000;

/**
 * Uses of revoked and expired tokens between audit events (catalog X05). A pipeline still holding a
 * dead token may send it thousands of times a minute; each use used to write an audit row. Now a
 * token's first use writes one at once, further uses within `intervalMs` are only counted here, and
 * the next use after that writes one row standing for them all (`details.uses`). So the audit table
 * grows by at most one row per dead token per minute per node. Counts live in this process's memory:
 * uses counted after a token's last row are lost when the process stops or the token is no longer
 * sent, and past 10,000 tokens the oldest count is dropped.
 */
export class DeadTokenUses {
  /** Token id → when its last row was written and the uses counted since; least recent first. */
  private readonly entries = new Map<string, { lastRowAt: number; counted: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
  ) {}

  /**
   * Counts one use of a dead token. Returns how many uses a row written now stands for (this one and
   * those counted since the last row), or 0 when no row is due. Synchronous: of concurrent uses only
   * one gets the row.
   */
  note(tokenId: string): number {
    const now = this.clock.now();
    const entry = this.entries.get(tokenId);
    if (entry && now - entry.lastRowAt < this.intervalMs) {
      entry.counted++;
      return 0;
    }
    const uses = (entry?.counted ?? 0) + 1;
    this.entries.delete(tokenId);
    this.entries.set(tokenId, { lastRowAt: now, counted: 0 });
    if (this.entries.size > MAX_TOKENS) this.entries.delete(this.entries.keys().next().value!);
    return uses;
  }
}
