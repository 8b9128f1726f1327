import type { Deps } from '../deps.js';

/**
 * Retention of exchanged tokens (docs/decisions.md, "Retention of exchanged tokens"): tokens minted
 * by an exchange are deleted once they have been expired for the retention period, and single-use
 * rows once their JWT can no longer be presented. Their audit events stay. Tokens made by people
 * are never touched. Deletes are idempotent, so every node may run it.
 */

/** How often a running server purges. */
export const PURGE_INTERVAL_MS = 3_600_000;
const BATCH = 1000;

export async function purgeExchanges(deps: Deps): Promise<{ tokens: number; jtis: number }> {
  const nowSec = Math.floor(deps.clock.now() / 1000);
  const retention = deps.config.oidcTokenRetentionSeconds;
  // 0 keeps exchanged tokens: no token expires at or before 0 (never-expiring tokens have expires 0
  // and are excluded by the store).
  const expiredBy = retention === 0 ? 0 : nowSec - retention;
  const total = { tokens: 0, jtis: 0 };
  for (;;) {
    const batch = await deps.store.purgeExchanges(expiredBy, nowSec, BATCH);
    total.tokens += batch.tokens;
    total.jtis += batch.jtis;
    if (batch.tokens < BATCH && batch.jtis < BATCH) return total;
  }
}

/** Runs the purge now and then every interval until the returned function is called. */
export function schedulePurge(deps: Deps, report: (result: { tokens: number; jtis: number } | { err: unknown }) => void): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    purgeExchanges(deps)
      .then((result) => report(result), (err: unknown) => report({ err }))
      .finally(() => (running = false));
  };
  run();
  const timer = setInterval(run, PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
