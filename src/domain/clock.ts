/** Time source. Injected everywhere so tests can move it; production uses the system clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Whole seconds since the epoch, the unit of `expires` and `lastUsed` on the wire. */
export function nowSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
