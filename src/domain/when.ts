/**
 * Parses the `<when>` syntax shared by the CLI and configuration: `never`, a duration such as
 * `90m`, `12h`, `30d`, `1y` (optionally combined: `1d12h`), or an ISO 8601 date or date-time.
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const DURATION = /^(?:\d+[smhdwy])+$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Duration in seconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!DURATION.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+)([smhdwy])/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}

/**
 * Parses an ISO 8601 date or date-time to unix seconds. A bare date means midnight UTC, and so
 * does a date-time without an offset: times on the wire are UTC, and reading them in the server's
 * time zone would give one request different expiries on different servers. Impossible dates
 * (2027-02-30) are refused rather than rolled into the next month.
 */
export function parseIsoSeconds(text: string): number | undefined {
  const t = text.trim();
  if (!ISO.test(t)) return undefined;
  const [y, m, d] = [Number(t.slice(0, 4)), Number(t.slice(5, 7)), Number(t.slice(8, 10))];
  const day = new Date(0);
  day.setUTCFullYear(y, m - 1, d);
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return undefined;
  const utc = t.length === 10 ? `${t}T00:00:00Z` : /(?:Z|[+-]\d{2}:?\d{2})$/i.test(t) ? t : `${t}Z`;
  const ms = Date.parse(utc);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/**
 * Resolves `<when>` to unix seconds (0 = never) relative to `nowSec`, or undefined when the text
 * is none of the accepted forms.
 */
export function parseWhen(text: string, nowSec: number): number | undefined {
  const t = text.trim();
  if (t.toLowerCase() === 'never') return 0;
  const duration = parseDuration(t);
  if (duration !== undefined) return duration === 0 ? undefined : nowSec + duration;
  return parseIsoSeconds(t);
}
