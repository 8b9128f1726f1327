import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { isUniqueViolation, type DialectName } from './dialect.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** PostgreSQL schema the tables live in, when one was named with `?schema=`. */
  schema: string | undefined;
  /**
   * A faster path for the reads every request makes, outside any transaction. SQLite runs the
   * read synchronously when no transaction is open on the connection (and returns undefined
   * otherwise: the caller then goes through Kysely, which waits its turn). PostgreSQL runs it as a
   * named prepared statement, so the server parses and plans it once per connection.
   */
  hotRead: HotRead;
  /** SQLite on a file: the path of its write-ahead log, which GroupCommit syncs. */
  walFile?: string;
  close(): Promise<void>;
}

export type HotRead = (sql: string, params: readonly unknown[]) => unknown[] | Promise<unknown[]> | undefined;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens `sqlite:<path>` (better-sqlite3, WAL, synchronous=FULL outside group commits, checkpoints on
 * a worker thread) or `postgres://…` (pg pool).
 * A PostgreSQL URL may carry `?schema=<name>` to keep Tessera's tables in that schema, which is
 * created when missing. Refuses settings that would let an acknowledged write be lost.
 */
export async function openDatabase(url: string, options: { poolSize?: number } = {}): Promise<OpenDatabase> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options.poolSize ?? 10);
  throw new Error('database URL must start with sqlite: or postgres://');
}

function openSqlite(file: string): OpenDatabase {
  if (file === '') throw new Error('sqlite: needs a path, for example sqlite:data/tessera.db');
  const memory = file === ':memory:';
  if (!memory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const conn = new SqliteDatabase(file);
  conn.pragma('busy_timeout = 5000');
  // Token lookups are random reads across the hash index. Memory-mapping the file serves them
  // from the page cache without a read() call per page.
  conn.pragma('mmap_size = 268435456');
  conn.pragma('foreign_keys = ON');
  const mode = conn.pragma('journal_mode = WAL', { simple: true });
  // FULL syncs the WAL at every commit: an acknowledged write survives power loss, not only a crash.
  conn.pragma('synchronous = FULL');
  if (!memory && mode !== 'wal') {
    conn.close();
    throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)}); refusing to start`);
  }
  const cached = withStatementCache(conn);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }) });
  // better-sqlite3 is synchronous, so checking for an open transaction and reading are one step:
  // a read never lands inside another request's uncommitted transaction.
  const hotRead: HotRead = (sql, params) => (conn.inTransaction ? undefined : cached.prepare(sql).all(...params));
  if (memory) return { db, dialect: 'sqlite', schema: undefined, hotRead, close: () => db.destroy() };
  const checkpointer = startCheckpointer(path.resolve(file));
  // Checkpoints (copying the WAL into the database file, with two fsyncs) run on the worker, off
  // the event loop; this connection checkpoints only if the WAL grows past ~40 MB regardless.
  conn.pragma('wal_autocheckpoint = 10000');
  return {
    db,
    dialect: 'sqlite',
    schema: undefined,
    hotRead,
    walFile: `${path.resolve(file)}-wal`,
    close: async () => {
      await checkpointer.terminate();
      await db.destroy();
    },
  };
}

/** How often the checkpointer copies committed WAL pages into the database file. */
const CHECKPOINT_INTERVAL_MS = 250;

/**
 * A worker thread with a connection of its own that runs passive checkpoints (which never block
 * readers or writers) every CHECKPOINT_INTERVAL_MS. Unreferenced, so it never keeps the process up.
 */
function startCheckpointer(file: string): Worker {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.file);
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = FULL');
    setInterval(() => {
      try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next round tries again */ }
    }, ${CHECKPOINT_INTERVAL_MS});
  `;
  const worker = new Worker(source, { eval: true, workerData: { driver, file } });
  worker.unref();
  return worker;
}

/**
 * Kysely's SQLite driver prepares every statement anew, which costs more than running it. The
 * store issues a small set of distinct SQL strings, so keep their prepared statements. Nothing
 * iterates a statement lazily, so reusing one across queries is safe.
 */
function withStatementCache(conn: SqliteDatabase.Database): { prepare(sql: string): SqliteDatabase.Statement; close(): void } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = conn.prepare(sql);
        if (cache.size < 1000) cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => conn.close(),
  };
}

async function openPostgres(rawUrl: string, poolSize: number): Promise<OpenDatabase> {
  const url = new URL(rawUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error('schema must be a lowercase SQL identifier');
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: poolSize,
    // A request waits at most this long for a connection, then fails with 503 instead of hanging.
    connectionTimeoutMillis: 5000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // Instants are stored as bigint; they fit in a double, so read them as numbers.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig,
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema) {
      try {
        await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      } catch (err) {
        // Nodes starting together on a fresh database race to create the schema, and PostgreSQL
        // reports the loser as a unique violation even with IF NOT EXISTS: the schema is there.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    const setting = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db);
    const fsync = await sql<{ fsync: string }>`show fsync`.execute(db);
    if (setting.rows[0]?.synchronous_commit === 'off' || fsync.rows[0]?.fsync === 'off') {
      throw new Error('PostgreSQL runs with synchronous_commit=off or fsync=off; acknowledged writes could be lost, refusing to start');
    }
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const names = new Map<string, string>();
  const hotRead: HotRead = async (sql, params) => {
    let name = names.get(sql);
    if (!name) names.set(sql, (name = `tessera_${names.size}`));
    return (await pool.query({ name, text: sql, values: [...params] })).rows as unknown[];
  };
  return { db, dialect: 'postgres', schema, hotRead, close: () => db.destroy() };
}

/** Brings the schema up to date. On PostgreSQL, Kysely takes an advisory lock, so nodes may race safely. */
export async function migrate(database: OpenDatabase): Promise<string[]> {
  const migrator = new Migrator({
    db: database.dialect === 'postgres' ? withOwnSchemaIntrospection(database.db, database.schema) : database.db,
    provider: migrationProvider,
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * The migrator asks whether its tables exist by listing the tables of every schema in the
 * database, with a privilege check per schema; a schema someone else drops during that query (an
 * other deployment, a test suite) fails it with `schema "…" does not exist` and start-up with it.
 * This Kysely answers those two questions from the catalog, for Tessera's own schema only.
 */
function withOwnSchemaIntrospection(db: Kysely<Database>, schema: string | undefined): Kysely<Database> {
  const own = schema === undefined ? sql`current_schema()` : sql`${schema}`;
  const introspection = {
    getSchemas: async () => (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${own}`.execute(db)).rows,
    getTables: async () =>
      (
        await sql<{ name: string; schema: string }>`
          select c.relname as name, n.nspname as schema from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = ${own} and c.relkind in ('r', 'p')`.execute(db)
      ).rows.map((t) => ({ ...t, isView: false, columns: [] })),
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, prop, target);
      // Kysely keeps its state in private fields: its methods must run on the real instance.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
