import fs from 'node:fs/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Most units committed together; bounds how long one batch holds the database. */
const MAX_BATCH = 100;

interface Unit {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for SQLite. With `synchronous=FULL` every COMMIT waits for an fsync (milliseconds
 * on most disks) and better-sqlite3 waits on the event loop, so one transaction per request caps
 * writes at a few hundred a second however little each one writes. Instead:
 *
 * - Transactions that arrive together run one after another inside one database transaction,
 *   each in a savepoint of its own, and share one COMMIT. A unit that throws is rolled back to its
 *   savepoint and its caller gets the error; the others still commit, exactly as if each had been
 *   its own transaction (they run one at a time, so each sees the writes of those before it, as
 *   serial transactions would). If the COMMIT fails, every unit of the batch gets that error.
 * - On a file, the batch commits at `synchronous=NORMAL` (the WAL is written, not yet synced) and
 *   the WAL is then synced with fdatasync on libuv's thread pool, so the event loop serves other
 *   requests meanwhile. Only after that sync has returned is any caller of the batch answered:
 *   what was acknowledged is on disk, as with FULL. The connection is back at FULL between
 *   batches, so writes made outside a transaction keep FULL's guarantee; checkpoints sync the WAL
 *   before copying it at either level (and run on a worker thread: see open-database.ts).
 *
 * A batch is whatever was queued when the event loop came round to it (setImmediate), so a lone
 * request waits for no timer, and under load batches grow by themselves. The next batch may
 * commit while the previous one's sync runs; each waits for a sync that began after its COMMIT.
 */
export class GroupCommit {
  private queue: Unit[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Kysely<Database>,
    /** The WAL to sync after each batch; absent for an in-memory database, which has none. */
    private readonly walFile?: string,
  ) {}

  run<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    let outcomes: Outcome[];
    try {
      outcomes = await this.commit(batch);
    } catch (error) {
      outcomes = batch.map(() => ({ ok: false, error }));
    }
    // Committed, or failed: the next batch may start while this one's WAL is being synced.
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.scheduled = false;
    if (this.walFile && outcomes.some((o) => o.ok)) {
      try {
        await syncFile(this.walFile);
      } catch (error) {
        // Not known to be on disk: nobody may be told it is.
        outcomes = batch.map(() => ({ ok: false, error }));
      }
    }
    batch.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }

  private async commit(batch: Unit[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    if (this.walFile) await sql`pragma synchronous = NORMAL`.execute(this.db);
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const unit of batch) {
          await sql`savepoint unit`.execute(trx);
          try {
            outcomes.push({ ok: true, value: await unit.fn(trx) });
          } catch (error) {
            await sql`rollback to savepoint unit`.execute(trx);
            outcomes.push({ ok: false, error });
          }
          await sql`release savepoint unit`.execute(trx);
        }
      });
    } finally {
      if (this.walFile) await sql`pragma synchronous = FULL`.execute(this.db);
    }
    return outcomes;
  }
}

/** fdatasync of a file by path (a fresh descriptor, so a WAL recreated since is still the one synced). */
async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
