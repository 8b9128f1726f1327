/**
 * Looks a parsed claim path up in a claims object. Only own data properties are followed
 * (catalog P12): a claim named `__proto__`, `constructor` or `hasOwnProperty` is read from the
 * token itself or is absent, never from Object.prototype, and getters are never invoked.
 */

export type ClaimLookup = { found: true; value: unknown } | { found: false };

/**
 * Resolves `segments` against `claims`. Only plain objects are descended into: arrays are leaves,
 * so a path cannot reach `aud.length` or `aud.0` and turn an array claim into something else.
 */
export function resolveClaim(claims: unknown, segments: readonly string[]): ClaimLookup {
  let current: unknown = claims;
  for (const key of segments) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return { found: false };
    if (!Object.hasOwn(current, key)) return { found: false };
    // The descriptor, not `current[key]`: an accessor (which JSON never produces) counts as
    // absent rather than running code, and an own `__proto__` data property is read as data.
    const descriptor = Object.getOwnPropertyDescriptor(current, key);
    if (descriptor === undefined || !('value' in descriptor)) return { found: false };
    current = descriptor.value;
  }
  return { found: true, value: current };
}
