/**
 * Claim patterns (API.md section 6): a pattern matches the whole claim value; `*` matches any run
 * of characters, including none and including `/` and `:`; `?` matches exactly one character;
 * `\` makes the next character literal; every other character, `.` included, is literal.
 *
 * "Character" means one Unicode code point, on both sides: `?` consumes a whole astral character
 * (an emoji, a CJK extension ideograph) rather than half a surrogate pair, and a literal is
 * compared code point for code point. There is no case folding and no Unicode normalisation
 * (catalog P07): `Org` does not match `org`, a full-width `ａ` does not match `a`, and NFC and NFD
 * spellings of `é` are different values. A lone surrogate counts as one code point.
 *
 * Matching never uses a regular expression (catalog P04: regex metacharacters are plain
 * characters here; P06: no backtracking engine). The pattern is split on `*` into segments of
 * literals and `?`; the first segment must sit at the start of the value, the last at its end, and
 * each middle segment is placed at its leftmost occurrence after the previous one. Leftmost is
 * always safe because whatever follows a segment is preceded by a `*`, which can absorb any
 * slack, so a later placement never enables a match an earlier one does not. No placement is ever
 * revisited, and each middle segment is found with the bit-parallel Shift-And algorithm (which
 * handles `?` natively): every code point of the value is read once per segment window, and the
 * windows do not overlap, so a value of n code points costs at most n × ⌈k/32⌉ word operations
 * for segments of k ≤ 256 code points, i.e. at most 8n, plus O(k) for the two anchored ends.
 * Linear in the value, whatever the number of `*` or `?`. (A naive leftmost search would be
 * n × k: 10 KB against a 250-`?` segment took over 10 ms.)
 */

import { STEPS_PER_MATCH, type WorkBudget } from './work-budget.js';

/** Longest accepted pattern, in code points. */
export const MAX_PATTERN_LENGTH = 256;
/** Most `*` wildcards accepted in one pattern (escaped `\*` does not count). */
export const MAX_PATTERN_WILDCARDS = 16;

/** One position of a segment: a literal code point, or `null` for `?`. */
export type SegmentToken = string | null;

/** A pattern ready to match; `segments` are the runs between `*`s, exposed for policy analysis. */
export interface CompiledPattern {
  /** The pattern as written. */
  readonly source: string;
  /** The runs between `*` wildcards; a pattern without `*` has exactly one. */
  readonly segments: readonly (readonly SegmentToken[])[];
  /** Whether the whole value matches. */
  matches(value: string): boolean;
  /**
   * Whether a value already split into code points matches, charging the worst-case cost of the
   * match to `budget` first (X06): the value's length times one plus the widest middle segment's
   * words, plus a fixed cost per call. Throws BudgetExceeded, having done no work, when it would
   * not fit.
   */
  matchesCodePoints(value: readonly string[], budget: WorkBudget): boolean;
}

export type PatternResult = { ok: true; pattern: CompiledPattern } | { ok: false; reason: string };

/** Compiles a claim pattern, refusing malformed or oversized ones with a reason. */
export function compilePattern(source: string): PatternResult {
  const chars = Array.from(source);
  if (chars.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `the pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const segments: SegmentToken[][] = [[]];
  let stars = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      // A trailing backslash escapes nothing; refusing it beats guessing whether it was meant as
      // a literal backslash.
      if (i + 1 >= chars.length) return { ok: false, reason: 'the pattern ends with an unfinished escape (\\)' };
      segments[segments.length - 1]!.push(chars[++i]!);
    } else if (c === '*') {
      stars++;
      if (stars > MAX_PATTERN_WILDCARDS) {
        return { ok: false, reason: `the pattern has more than ${MAX_PATTERN_WILDCARDS} * wildcards` };
      }
      segments.push([]); // consecutive stars leave empty middle segments, which match anywhere
    } else if (c === '?') {
      segments[segments.length - 1]!.push(null);
    } else {
      segments[segments.length - 1]!.push(c);
    }
  }
  const frozen = Object.freeze(segments.map((s) => Object.freeze(s)));
  const middle = frozen.slice(1, -1).map(shiftAndTables);
  // Middle segments scan disjoint windows of the value, so a match reads each code point at most
  // once per word of the widest segment, plus once for the anchored ends (see above).
  const costPerCodePoint = 1 + middle.reduce((widest, t) => Math.max(widest, t.words), 0);
  return {
    ok: true,
    pattern: Object.freeze({
      source,
      segments: frozen,
      matches: (value: string) => matchSegments(frozen, middle, Array.from(value)),
      matchesCodePoints: (value: readonly string[], budget: WorkBudget) => {
        budget.charge(STEPS_PER_MATCH + value.length * costPerCodePoint);
        return matchSegments(frozen, middle, value);
      },
    }),
  };
}

/** Shift-And tables for one segment: per literal code point, the bit set of positions it may fill. */
interface ShiftAnd {
  readonly length: number;
  readonly words: number;
  readonly masks: ReadonlyMap<string, Uint32Array>;
  /** The positions any code point may fill (the `?`s): the mask of a code point not in the segment. */
  readonly other: Uint32Array;
}

function shiftAndTables(segment: readonly SegmentToken[]): ShiftAnd {
  const words = Math.max(1, Math.ceil(segment.length / 32));
  const other = new Uint32Array(words);
  segment.forEach((t, j) => {
    if (t === null) other[j >>> 5]! |= 1 << (j & 31);
  });
  // Built after `other` is complete, so each code point's mask includes every `?` position.
  const masks = new Map<string, Uint32Array>();
  segment.forEach((t, j) => {
    if (t === null) return;
    let mask = masks.get(t);
    if (mask === undefined) masks.set(t, (mask = Uint32Array.from(other)));
    mask[j >>> 5]! |= 1 << (j & 31);
  });
  return { length: segment.length, words, masks, other };
}

/** Start of the leftmost occurrence of the segment lying wholly within [from, end), or -1. */
function findLeftmost(t: ShiftAnd, value: readonly string[], from: number, end: number): number {
  if (t.length === 0) return from <= end ? from : -1;
  const state = new Uint32Array(t.words);
  const lastWord = (t.length - 1) >>> 5;
  const lastBit = 1 << ((t.length - 1) & 31);
  for (let i = from; i < end; i++) {
    const mask = t.masks.get(value[i]!) ?? t.other;
    // Bit j of state: the segment's first j+1 positions match the value ending at i. Shift the
    // whole multi-word state left by one (high word first, so the carry reads the old low word).
    for (let w = t.words - 1; w > 0; w--) state[w] = ((state[w]! << 1) | (state[w - 1]! >>> 31)) & mask[w]!;
    state[0] = ((state[0]! << 1) | 1) & mask[0]!;
    if ((state[lastWord]! & lastBit) !== 0) return i - t.length + 1;
  }
  return -1;
}

/** Whether `segment` matches `value` at `at` (which the caller keeps in bounds). */
function matchesAt(segment: readonly SegmentToken[], value: readonly string[], at: number): boolean {
  for (let j = 0; j < segment.length; j++) {
    const t = segment[j];
    if (t !== null && t !== value[at + j]) return false;
  }
  return true;
}

function matchSegments(segments: readonly (readonly SegmentToken[])[], middle: readonly ShiftAnd[], value: readonly string[]): boolean {
  const first = segments[0]!;
  if (segments.length === 1) return first.length === value.length && matchesAt(first, value, 0);
  const last = segments[segments.length - 1]!;
  // The end segment is fixed first so middle segments are searched only in what lies between.
  const end = value.length - last.length;
  if (end < first.length) return false;
  if (!matchesAt(first, value, 0) || !matchesAt(last, value, end)) return false;
  let pos = first.length;
  for (const tables of middle) {
    const at = findLeftmost(tables, value, pos, end);
    // Not found: no later placement of earlier segments could help, so fail without backtracking.
    if (at < 0) return false;
    pos = at + tables.length;
  }
  return true;
}
