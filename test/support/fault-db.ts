import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { NO_REQUEST } from '../../src/domain/deps.js';
import { createOrg } from '../../src/domain/orgs/create-org.js';
import { setMember } from '../../src/domain/orgs/set-member.js';
import { SYSTEM, type Principal } from '../../src/domain/principal.js';
import type { Organization, User } from '../../src/domain/records.js';
import { issueToken } from '../../src/domain/tokens/issue-token.js';
import { createUser } from '../../src/domain/users/create-user.js';
import { openServices, type Services } from '../../src/services.js';
import type { TestDatabase } from './databases.js';
import { startServer, type ServerProcess } from './server-process.js';

/**
 * Fixtures and inspection for the fault suites, which run Tessera as separate processes: data is
 * seeded by opening the database in the test process (through the domain functions, so it obeys
 * the invariants) and closing it again; after the servers stop, the tables are read directly.
 */

export const TWO_YEARS = 63_072_000;

/** Opens the database in this process, runs `fn`, and closes it whatever happens. */
export async function withServices<T>(databaseUrl: string, fn: (services: Services) => Promise<T>): Promise<T> {
  const services = await openServices({ databaseUrl, maxTokenLifetimeSeconds: TWO_YEARS, requireTokenExpiry: false });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

export interface SeededPerson {
  user: User;
  /** Personal token values, each with its id. */
  tokens: Array<{ id: string; value: string }>;
}

let counter = 0;
/** A unique login or organization name. */
export function faultName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}${Math.random().toString(36).slice(2, 7)}`;
}

/** A user with `tokenCount` personal tokens that never expire. */
export async function seedPerson(services: Services, tokenCount = 1, login = faultName('user')): Promise<SeededPerson> {
  const user = await createUser(services.deps, NO_REQUEST, SYSTEM, { login, email: `${login}@example.com` });
  const principal: Principal = { kind: 'user', user, token: null };
  const tokens: SeededPerson['tokens'] = [];
  for (let i = 0; i < tokenCount; i++) {
    const { token, tokenValue } = await issueToken(services.deps, NO_REQUEST, principal, { type: 'personal' }, { source: 'api', description: `seed ${i}` });
    tokens.push({ id: token.id, value: tokenValue });
  }
  return { user, tokens };
}

/** An organization with `admin` as its admin and `members` as plain members. */
export async function seedOrg(services: Services, admin: User, members: User[] = []): Promise<Organization> {
  const org = await createOrg(services.deps, NO_REQUEST, SYSTEM, faultName('org'), admin);
  for (const m of members) await setMember(services.deps, NO_REQUEST, SYSTEM, org.name, m.login, 'member');
  return org;
}

/** Read access to the tables of a test database, from the test process, bypassing Tessera. */
export interface Inspector {
  /** Runs one parameterless SELECT; the SQL must be valid on both SQLite and PostgreSQL. */
  rows<T = Record<string, unknown>>(query: string): Promise<T[]>;
  /** `PRAGMA integrity_check` on SQLite ('ok' when sound); undefined on PostgreSQL. */
  integrityCheck(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Opens the database for reading. On SQLite the file is opened read-only, so call this only after
 * every server using it has stopped cleanly (the last close checkpoints the WAL).
 */
export async function inspect(db: TestDatabase): Promise<Inspector> {
  if (db.name === 'sqlite') {
    const conn = new SqliteDatabase(db.url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    return {
      rows: async <T>(query: string) => conn.prepare(query).all() as T[],
      integrityCheck: async () => (conn.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('\n'),
      close: async () => {
        conn.close();
      },
    };
  }
  const url = new URL(db.url);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString(), ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  return {
    rows: async <T>(query: string) => (await client.query(query)).rows as T[],
    integrityCheck: async () => undefined,
    close: async () => client.end(),
  };
}

/** Token rows that lack the audit event recording their creation (must be none: F01). */
export const TOKENS_WITHOUT_CREATED_AUDIT = `
  select t.id from tokens t
  where not exists (select 1 from audit_events a where a.action = 'access_token_created' and a.target_id = t.id)`;

/** Revoked token rows that lack the audit event recording the revocation (must be none: F02). */
export const REVOKED_WITHOUT_DELETED_AUDIT = `
  select t.id from tokens t
  where t.revoked_at <> 0
    and not exists (select 1 from audit_events a where a.action = 'access_token_deleted' and a.target_id = t.id)`;

/**
 * Every server process a suite starts, so after() can kill them all even when a test failed
 * half-way. Start servers through `start` and call `killAll` in after().
 */
export class ServerPool {
  private readonly live = new Set<ServerProcess>();

  async start(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServer(databaseUrl, env);
    this.live.add(server);
    void server.exited.then(() => this.live.delete(server));
    return server;
  }

  /** SIGKILL for every process still running. */
  async killAll(): Promise<void> {
    await Promise.all([...this.live].map((s) => s.kill()));
    this.live.clear();
  }
}
