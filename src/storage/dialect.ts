/**
 * Every difference between SQLite and PostgreSQL that the store cares about, as capabilities,
 * so the rest of src/storage is written once.
 */
export type DialectName = 'sqlite' | 'postgres';

/** True when `err` is a unique or primary-key violation, in either database's wording. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Error codes that mean the database is busy or out of reach: answer 503, the client may retry. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // Node's incoming-request error when a client disconnects mid-body is also ECONNRESET, with the
  // message `aborted`: that is the client leaving, not the database (src/http/client-error.ts).
  if (code === 'ECONNRESET' && e?.message === 'aborted') return false;
  if (['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '53300', '08006', '08001', '08003'].some((c) => code.startsWith(c))) {
    return true;
  }
  const message = typeof e?.message === 'string' ? e.message : '';
  return /timeout exceeded when trying to connect|Connection terminated|database is locked/i.test(message);
}
