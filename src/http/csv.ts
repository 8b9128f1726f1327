/** A formula start: `=`, `+`, `-`, `@`, tab or CR, also after spaces (which some programs skip). */
const FORMULA_START = /^[ ]*[=+\-@\t\r]/;
/**
 * A place inside a cell where a semicolon-locale reader starts a new cell or row (after `;`, CR or
 * LF, since to it our quotes are not at a cell's start) followed by a formula start or a quote.
 */
const INNER_CELL_START = /([;\r\n])(?=[ ]*[=+\-@\t\r"])/g;

/**
 * One CSV cell, per RFC 4180: quoted when it holds a comma, a semicolon, a quote, CR or LF, with
 * quotes doubled.
 *
 * Spreadsheet programs run a cell that starts with `=`, `+`, `-`, `@`, a tab or CR as a formula
 * (OWASP "CSV injection"), and audit exports hold text chosen by outsiders: the User-Agent of
 * anyone who tries a revoked token, for one. An admin opening the export must not run
 * `=HYPERLINK(…)` or `=cmd|…` written by such a caller. Such a cell is prefixed with a single quote
 * and always quoted; the quote shows up as text, the accepted price for that.
 *
 * Semicolon locales (X12): where the list separator is `;` (German, French, …) Excel splits our
 * rows at every `;`, quoted or not, and a quote in mid-row does not protect anything. So every
 * spot inside a cell where such a reader would begin a cell (after `;`, CR or LF) that continues
 * with a formula start or a quote gets the same single quote. The cell reads the same in comma and
 * semicolon locales but for those quotes, and no locale sees a formula.
 */
export function csvCell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  const formula = FORMULA_START.test(s);
  s = s.replace(INNER_CELL_START, "$1'");
  if (formula) s = `'${s}`;
  return formula || /[",;\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record with its CRLF line ending (RFC 4180). */
export function csvRow(cells: ReadonlyArray<string | number | null | undefined>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
