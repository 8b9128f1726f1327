import { redactTokenValues } from '../domain/tokens/token-format.js';

/**
 * A failure the CLI reports as `tessera: <message>` with exit code 1 (main.ts prints it). The
 * message is already cleaned: no control characters, no token values.
 */
export class CliError extends Error {
  constructor(message: string) {
    super(redactTokens(printable(message)));
    this.name = 'CliError';
  }
}

/**
 * Anything shaped like a token value in text we print is replaced, so a server message, a file or
 * a bug can never make the CLI echo a secret.
 */
export const redactTokens = redactTokenValues;

// C0/C1 controls, and bidi overrides that can make text read differently from what it is.
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a server or a database, made safe for a terminal: control characters (escape
 * sequences could rewrite the screen) become U+FFFD. Newlines and tabs are kept.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '\uFFFD');
}

/** Like printable, on one line: newlines and tabs become spaces. */
export function oneLine(text: string): string {
  return printable(text).replace(/[\n\t]/g, ' ');
}
