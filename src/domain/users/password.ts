import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { DomainError, RetryLaterError } from '../errors.js';

// OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1.
const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
// scrypt needs 128 * N * r bytes of memory; Node's default cap (32 MiB) is below that.
const MAX_MEM = 256 * 1024 * 1024;

/**
 * Password hashes computed at once, process-wide (X04). scrypt runs on libuv's thread pool, which
 * SQLite's group commit also needs for its fsync, and each hash keeps a core busy for a good part
 * of a second: unbounded, a burst of anonymous sign-ins fills every thread and every core and stalls
 * every database write behind it. At most half the cores (at least one, at most two) and so at most
 * half of the pool's four threads hash at once; the rest stay for the event loop, commits, file and
 * DNS work.
 */
export const HASH_CONCURRENCY = Math.max(1, Math.min(2, Math.floor(availableParallelism() / 2)));
/** Hashes that may wait for a place; one more is refused at once (503 with Retry-After). */
export const HASH_QUEUE = 4;

class HashSlots {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < HASH_CONCURRENCY) this.running++;
    else if (this.queue.length < HASH_QUEUE) await new Promise<void>((resolve) => this.queue.push(resolve));
    else throw new RetryLaterError('password_checks_busy', 'too many password checks are running; retry in a moment', 1);
    try {
      return await work();
    } finally {
      // The place passes straight to the next in line, so `running` never exceeds the bound.
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}

const slots = new HashSlots();

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return slots.run(
    () =>
      new Promise((resolve, reject) =>
        scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key))),
      ),
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
