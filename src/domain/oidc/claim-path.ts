/**
 * Claim paths name a (possibly nested) claim of an ID token: dot-separated keys, where a key that
 * itself contains dots is double-quoted, as in `"kubernetes.io".pod.name`. Parsing is strict: a
 * path that is almost right (an unterminated quote, an empty segment) is refused rather than read
 * as something else, because a silently misread path is a rule that never matches, and a deny
 * rule that never matches is a hole.
 */

/** Longest accepted claim path, in UTF-16 code units; real claim paths are short. */
export const MAX_CLAIM_PATH_LENGTH = 256;
/** Deepest accepted claim path; ID tokens nest a few levels at most. */
export const MAX_CLAIM_PATH_SEGMENTS = 16;

export type ClaimPathResult =
  | { ok: true; segments: readonly string[] }
  | { ok: false; reason: string };

/**
 * Parses a claim path into its keys. Inside quotes, `\"` and `\\` stand for a quote and a
 * backslash so any key can be written; outside quotes every character but `.` and `"` is literal.
 */
export function parseClaimPath(path: string): ClaimPathResult {
  if (path.length === 0) return { ok: false, reason: 'the claim path is empty' };
  if (path.length > MAX_CLAIM_PATH_LENGTH) {
    return { ok: false, reason: `the claim path is longer than ${MAX_CLAIM_PATH_LENGTH} characters` };
  }
  const segments: string[] = [];
  let i = 0;
  for (;;) {
    let key = '';
    if (path[i] === '"') {
      i++;
      let closed = false;
      while (i < path.length) {
        const c = path[i]!;
        if (c === '\\') {
          const next = path[i + 1];
          if (next !== '"' && next !== '\\') {
            return { ok: false, reason: `a backslash inside quotes must be followed by " or \\ (position ${i + 1})` };
          }
          key += next;
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          key += c;
          i++;
        }
      }
      if (!closed) return { ok: false, reason: 'unterminated quote in the claim path' };
      if (i < path.length && path[i] !== '.') {
        return { ok: false, reason: `expected "." after a closing quote (position ${i + 1})` };
      }
    } else {
      while (i < path.length && path[i] !== '.') {
        // A quote in the middle of a bare key is most likely a typo for a quoted key; refusing it
        // keeps one spelling per key.
        if (path[i] === '"') return { ok: false, reason: `a quote may only start a key (position ${i + 1})` };
        key += path[i];
        i++;
      }
    }
    // An empty key ("a..b", ".a", "a.", `""`) is refused: no ID token uses one, and accepting it
    // would turn a stray dot into a rule on a claim that never exists.
    if (key.length === 0) return { ok: false, reason: `empty segment in the claim path (segment ${segments.length + 1})` };
    segments.push(key);
    if (segments.length > MAX_CLAIM_PATH_SEGMENTS) {
      return { ok: false, reason: `the claim path has more than ${MAX_CLAIM_PATH_SEGMENTS} segments` };
    }
    if (i >= path.length) break;
    i++; // the separating dot
    if (i >= path.length) return { ok: false, reason: 'empty segment at the end of the claim path' };
  }
  return { ok: true, segments };
}
