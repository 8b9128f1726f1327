import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors.js';

// OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1.
const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// scrypt needs 128 * N * r bytes of memory; Node's default cap (32 MiB) is below that.
const MAX_MEM = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password to `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Minimum length from OWASP ASVS 5.0 6.2.1; long passphrases are welcome. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

/** Fails with invalid_request unless `password` has an acceptable length. Nothing else is imposed (ASVS 6.2.5). */
export function checkNewPassword(password: string, field = 'password'): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new DomainError('invalid_request', `${field} must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
}

/**
 * A well-formed hash of no one's password, with the current parameters. Checking a password
 * against it costs what checking a real one costs, so an unknown login takes as long to refuse as
 * a wrong password.
 */
export const DUMMY_PASSWORD_HASH = `scrypt$${N}$${R}$${P}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
