import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Most units committed together; bounds how long one batch holds the database. */
const MAX_BATCH = 100;

interface Unit {
  fn: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite. With `synchronous=FULL` every COMMIT waits for an fsync (milliseconds
 * on most disks), and better-sqlite3 waits on the event loop, so one transaction per request caps
 * writes at a few hundred a second however little each one writes. Instead, transactions that
 * arrive together run one after another inside one database transaction, each in a savepoint of
 * its own, and share one COMMIT:
 *
 * - a unit that throws is rolled back to its savepoint and its caller gets the error; the others
 *   still commit, exactly as if each had been its own transaction (they run one at a time, so
 *   each sees the writes of those before it, as serial transactions would);
 * - no caller is answered before the COMMIT that holds its writes has returned, so what was
 *   acknowledged is on disk (the durability rule is unchanged);
 * - if the COMMIT itself fails, every unit of the batch gets that error and nothing of it is kept.
 *
 * A batch is whatever was queued when the event loop came round to it (setImmediate), so a lone
 * request waits for no timer, and under load batches grow by themselves.
 */
export class GroupCommit {
  private queue: Unit[] = [];
  private scheduled = false;

  constructor(private readonly db: Kysely<Database>) {}

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
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
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
      batch.forEach((unit, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) unit.resolve(outcome.value);
        else unit.reject(outcome.error);
      });
    } catch (error) {
      for (const unit of batch) unit.reject(error);
    } finally {
      if (this.queue.length > 0) setImmediate(() => void this.flush());
      else this.scheduled = false;
    }
  }
}
