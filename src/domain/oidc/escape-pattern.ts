/**
 * Turns a literal value into a pattern that matches exactly that value, for tools (the console,
 * the CLI) that build policies from a token's actual claims.
 */

/** Escapes `*`, `?` and `\` so every character of `value` is literal. */
export function escapePattern(value: string): string {
  // Only the three pattern metacharacters need it; `.` and regex characters are literal already.
  return value.replace(/[*?\\]/g, (c) => `\\${c}`);
}
