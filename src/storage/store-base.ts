import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { DomainError } from '../domain/errors.js';
import type { Store } from '../domain/store.js';
import type { User } from '../domain/records.js';
import { isUniqueViolation } from './dialect.js';
import type { GroupCommit } from './group-commit.js';
import { userFromRow } from './mappers.js';
import type { HotRead } from './open-database.js';
import type { Database } from './schema.js';

export const USER_COLUMNS = ['users.id', 'users.login', 'users.email', 'users.name', 'users.site_admin', 'users.disabled_at', 'users.created_at'] as const;

/** The owning user's columns, joined into the per-request token and session reads as u_*. */
export const OWNER_COLUMNS = [
  'users.login as u_login',
  'users.email as u_email',
  'users.name as u_name',
  'users.site_admin as u_site_admin',
  'users.disabled_at as u_disabled_at',
  'users.created_at as u_created_at',
] as const;

interface OwnerColumns {
  u_login: string | null;
  u_email: string | null;
  u_name: string | null;
  u_site_admin: number | null;
  u_disabled_at: number | null;
  u_created_at: number | null;
}

/** The user read through OWNER_COLUMNS, or null when the join found none. */
export function ownerFromRow(id: string | null, r: OwnerColumns): User | null {
  if (!id || r.u_login === null) return null;
  return userFromRow({
    id,
    login: r.u_login,
    email: r.u_email ?? '',
    name: r.u_name ?? '',
    site_admin: r.u_site_admin ?? 0,
    disabled_at: r.u_disabled_at,
    created_at: r.u_created_at ?? 0,
  });
}


/**
 * The Store over any Kysely<Database>: a database handle, or a transaction inside one. Its methods
 * are spread over one layer per area (people, tokens and audit, accounts, OIDC), each a file of its
 * own; this base holds what they share: the handle, the compiled hot queries, and error mapping.
 */
export abstract class StoreBase {
  constructor(
    protected readonly db: Kysely<Database> | Transaction<Database>,
    /** SQL of the per-request queries, compiled once; shared with transaction-scoped stores. */
    protected readonly compiled = new Map<string, CompiledQuery>(),
    /** The database's fast path for hot reads (see OpenDatabase.hotRead); never inside a transaction. */
    protected readonly hotRead?: HotRead,
    /** SQLite: concurrent transactions share one COMMIT (see GroupCommit). */
    private readonly groupCommit?: GroupCommit,
  ) {}

  /** The same store over a transaction. */
  protected abstract fork(trx: Transaction<Database>): Store;

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    // Already inside a transaction: join it rather than nest.
    if (this.db.isTransaction) return fn(this as unknown as Store);
    if (this.groupCommit) return this.groupCommit.run((trx) => fn(this.fork(trx)));
    return this.db.transaction().execute((trx) => fn(this.fork(trx)));
  }

  /**
   * Runs a read that every authenticated request (or every token exchange) makes. Building and
   * compiling it costs more than executing it, so its SQL is compiled on first use and later runs
   * only bind new `params`, which must be the query's parameters in order.
   */
  protected async hot<R>(key: string, build: () => { compile(): CompiledQuery<R> }, params: readonly unknown[]): Promise<R[]> {
    const query = this.compileOnce(key, build, params);
    const rows = this.hotRead?.(query.sql, params);
    if (rows) return (await rows) as R[];
    const result = await this.db.executeQuery<R>(CompiledQuery.raw(query.sql, [...params]) as CompiledQuery<R>);
    return result.rows;
  }

  /** A write on the token-exchange path, compiled once like `hot`; returns the rows it changed. */
  protected async hotWrite(key: string, build: () => { compile(): CompiledQuery }, params: readonly unknown[]): Promise<number> {
    const query = this.compileOnce(key, build, params);
    const result = await this.db.executeQuery(CompiledQuery.raw(query.sql, [...params]));
    return Number(result.numAffectedRows ?? 0n);
  }

  private compileOnce<R>(key: string, build: () => { compile(): CompiledQuery<R> }, params: readonly unknown[]): CompiledQuery<R> {
    let query = this.compiled.get(key) as CompiledQuery<R> | undefined;
    if (!query) {
      query = build().compile();
      // The first run checks that `params` are the compiled query's parameters, in order.
      if (query.parameters.length !== params.length || query.parameters.some((p, i) => p !== params[i])) {
        throw new Error(`hot query ${key}: the parameters given are not the query's, in order`);
      }
      this.compiled.set(key, query);
    }
    return query;
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('users').select('id').limit(1).execute();
  }

  /** Runs an insert, turning a unique violation into the given domain error. */
  protected async unique(code: 'login_taken' | 'org_name_taken' | 'team_name_taken' | 'token_name_taken' | 'issuer_taken', message: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError(code, message);
      throw err;
    }
  }
}
