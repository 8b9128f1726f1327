import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Token values: `tsr` + kind letter + `_` + 32 base62 characters of randomness (~190 bits) +
 * 6 base62 characters of a CRC32 over everything before them. The prefix lets secret scanners find
 * leaked values; the checksum lets us reject typos and garbage without a database lookup.
 */
export type TokenType = 'personal' | 'team' | 'organization';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KIND_LETTER: Record<TokenType, string> = { personal: 'p', team: 't', organization: 'o' };
const LETTER_KIND: Record<string, TokenType> = { p: 'personal', t: 'team', o: 'organization' };
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = 5 + RANDOM_LENGTH + CHECKSUM_LENGTH;
const SHAPE = /^tsr([pto])_[0-9A-Za-z]{38}$/;

function base62(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

/** Generates a fresh token value of the given type from the CSPRNG. */
export function generateTokenValue(type: TokenType): string {
  let random = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < RANDOM_LENGTH; i++) random += ALPHABET[randomInt(62)]!;
  const body = `tsr${KIND_LETTER[type]}_${random}`;
  return body + checksum(body);
}

/**
 * Returns the token type when `value` has the right prefix, length, alphabet and checksum;
 * undefined otherwise. Pure: never touches storage.
 */
export function parseTokenValue(value: string): TokenType | undefined {
  const m = SHAPE.exec(value);
  if (!m) return undefined;
  const body = value.slice(0, TOKEN_LENGTH - CHECKSUM_LENGTH);
  if (checksum(body) !== value.slice(TOKEN_LENGTH - CHECKSUM_LENGTH)) return undefined;
  return LETTER_KIND[m[1]!];
}

/** The only form in which a token value is stored: hex SHA-256. */
export function hashTokenValue(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const TOKEN_ANYWHERE = /tsr[pto]_[0-9A-Za-z]{30,}/g;

/**
 * Replaces anything shaped like a token value in `text` (keeping the prefix), for text that is
 * logged or printed and might contain a value pasted in the wrong place.
 */
export function redactTokenValues(text: string): string {
  return text.replace(TOKEN_ANYWHERE, (m) => `${m.slice(0, 5)}…(redacted)`);
}

/** Display hint kept for lists: prefix and last four characters, e.g. `tsrp_…q8Zk`. */
export function displayHint(value: string): string {
  return `${value.slice(0, 5)}…${value.slice(-4)}`;
}
