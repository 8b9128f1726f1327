/**
 * One CSV cell, per RFC 4180: quoted when it holds a comma, a quote, CR or LF, with quotes doubled.
 *
 * A cell that starts with `=`, `+`, `-`, `@`, a tab or CR is prefixed with a single quote first.
 * Spreadsheet programs run such a cell as a formula (OWASP "CSV injection"), and audit exports
 * hold text chosen by outsiders: the User-Agent of anyone who tries a revoked token, for one. An
 * admin opening the export must not run `=HYPERLINK(…)` or `=cmd|…` written by such a caller.
 * The quote shows up in the cell as text, which is the accepted price for that.
 */
export function csvCell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record with its CRLF line ending (RFC 4180). */
export function csvRow(cells: ReadonlyArray<string | number | null | undefined>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
