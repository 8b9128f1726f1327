import { oneLine } from './cli-error.js';

/** Unix seconds to an ISO 8601 UTC date-time without milliseconds, or "never" for 0. */
export function formatUnix(seconds: number): string {
  return seconds === 0 ? 'never' : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One table cell: printable, on one line, cut to `max` characters; empty cells show "-". */
export function cell(text: string, max = 40): string {
  const t = oneLine(text).trim();
  if (t === '') return '-';
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A plain-text table with left-aligned columns separated by two spaces. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Writes one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
