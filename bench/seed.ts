import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM, type Principal } from '../src/domain/principal.js';
import type { TokenRecord, TokenSource, User } from '../src/domain/records.js';
import { setMember } from '../src/domain/orgs/set-member.js';
import { issueToken } from '../src/domain/tokens/issue-token.js';
import { displayHint, generateTokenValue, hashTokenValue, type TokenType } from '../src/domain/tokens/token-format.js';
import { createUser } from '../src/domain/users/create-user.js';
import { openServices } from '../src/services.js';
import { tokenToRow, userToRow } from '../src/storage/mappers.js';
import type { Database, OrgMembersTable, OrganizationsTable, TeamsTable, TokensTable, UsersTable } from '../src/storage/schema.js';

/** The shape of the seeded data set; the counts add up to 100,000 tokens. */
export const SEED_SHAPE = {
  users: 1_000,
  personalTokensPerUser: 90,
  orgs: 100,
  orgTokensPerOrg: 50,
  teamsPerOrg: 2,
  teamTokensPerTeam: 25,
} as const;

export const SEEDED_TOKENS =
  SEED_SHAPE.users * SEED_SHAPE.personalTokensPerUser +
  SEED_SHAPE.orgs * SEED_SHAPE.orgTokensPerOrg +
  SEED_SHAPE.orgs * SEED_SHAPE.teamsPerOrg * SEED_SHAPE.teamTokensPerTeam;

/** Rows per INSERT: 20 columns × 1,000 rows = 20,000 parameters, under SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1_000;
/** Rows per transaction: one fsync per 10,000 rows instead of one per token. */
const ROWS_PER_TRANSACTION = 10_000;

export interface SeedResult {
  /** The benchmark caller's personal token value. A secret: never printed or written to the report. */
  tokenValue: string;
  login: string;
  /** Organizations the benchmark caller belongs to (GET /api/user lists them). */
  memberships: number;
  counts: { users: number; organizations: number; orgMembers: number; teams: number; tokens: number };
  ms: number;
}

/**
 * A small deterministic generator for the data's shape (which user is in which organization,
 * which token is expired), so every run seeds the same distribution. Token values themselves come
 * from generateTokenValue (the CSPRNG), as in production.
 */
function shapeRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Seeds a fresh database: SEEDED_TOKENS tokens spread over users, organizations and teams,
 * written in batched transactions through Kysely (issueToken would fsync once per token), then
 * the benchmark caller made through the domain (createUser, setMember, issueToken) so its token
 * and memberships obey every invariant of the real path.
 */
export async function seedDatabase(databaseUrl: string, log: (line: string) => void): Promise<SeedResult> {
  const started = performance.now();
  const services = await openServices({ databaseUrl, maxTokenLifetimeSeconds: 2 * 365 * 86400, requireTokenExpiry: false });
  try {
    const db = services.database.db;
    const rand = shapeRandom(0x7e55e7a);
    const nowMs = Date.now();
    const nowSec = Math.floor(nowMs / 1000);
    const YEAR_MS = 365 * 86400_000;

    const users: User[] = [];
    for (let i = 0; i < SEED_SHAPE.users; i++) {
      users.push({
        id: randomUUID(),
        login: `user${String(i).padStart(4, '0')}`,
        email: `user${i}@example.com`,
        name: `User ${i}`,
        siteAdmin: false,
        // A few disabled accounts, as any real installation has.
        disabledAt: i % 97 === 0 ? nowMs - 86400_000 : null,
        createdAt: nowMs - Math.floor(rand() * 2 * YEAR_MS),
      });
    }
    const orgs: OrganizationsTable[] = [];
    for (let i = 0; i < SEED_SHAPE.orgs; i++) orgs.push({ id: randomUUID(), name: `org${String(i).padStart(3, '0')}`, created_at: nowMs - Math.floor(rand() * 2 * YEAR_MS) });
    // Every user belongs to one organization; about a third to a second one. The first member of each is its admin.
    const members = new Map<string, OrgMembersTable>();
    const adminOf = new Map<string, User>();
    const join = (org: OrganizationsTable, user: User) => {
      const key = `${org.id}/${user.id}`;
      if (members.has(key)) return;
      const admin = !adminOf.has(org.id);
      if (admin) adminOf.set(org.id, user);
      members.set(key, { org_id: org.id, user_id: user.id, role: admin ? 'admin' : 'member', created_at: Math.max(org.created_at, user.createdAt) });
    };
    users.forEach((u, i) => {
      join(orgs[i % orgs.length]!, u);
      if (rand() < 0.33) join(orgs[Math.floor(rand() * orgs.length)]!, u);
    });
    const teams: TeamsTable[] = [];
    for (const org of orgs) {
      for (let t = 0; t < SEED_SHAPE.teamsPerOrg; t++) teams.push({ id: randomUUID(), org_id: org.id, name: `team${t}`, description: '', created_at: org.created_at });
    }

    await insertAll(db, 'users', users.map((u) => userToRow(u, null)));
    await insertAll(db, 'organizations', orgs);
    await insertAll(db, 'org_members', [...members.values()]);
    await insertAll(db, 'teams', teams);
    log(`  seeded ${users.length} users, ${orgs.length} organizations, ${members.size} memberships, ${teams.length} teams`);

    // A realistic mix: most tokens expire within two years, some never; some are already expired or revoked.
    const sources: TokenSource[] = ['console', 'api', 'cli'];
    const makeToken = (type: TokenType, owner: { userId: string | null; orgId: string | null; teamId: string | null }, name: string, creator: User): TokensTable => {
      const value = generateTokenValue(type);
      const createdAt = nowMs - Math.floor(rand() * YEAR_MS);
      const createdSec = Math.floor(createdAt / 1000);
      const r = rand();
      const expires = r < 0.25 ? 0 : r < 0.35 ? createdSec + 86400 /* expired by now, mostly */ : nowSec + Math.floor(rand() * 2 * 365 * 86400);
      const token: TokenRecord = {
        id: randomUUID(),
        type,
        ...owner,
        name,
        description: rand() < 0.5 ? '' : `seeded ${type} token`,
        tokenHash: hashTokenValue(value),
        displayValue: displayHint(value),
        admin: type === 'organization' && rand() < 0.2,
        source: sources[Math.floor(rand() * sources.length)]!,
        createdAt,
        createdBy: creator.login,
        createdByUserId: creator.id,
        expires,
        lastUsed: rand() < 0.3 ? 0 : Math.min(nowSec, createdSec + Math.floor(rand() * 90 * 86400)),
        revokedAt: rand() < 0.05 ? Math.min(nowSec, createdSec + 3600) : 0,
        oidc: null,
        boundOrgId: null,
      };
      return tokenToRow(token);
    };

    let written = 0;
    const flushTokens = async (rows: TokensTable[]) => {
      await insertAll(db, 'tokens', rows);
      written += rows.length;
      if (written % 20_000 === 0 || written === SEEDED_TOKENS) log(`  seeded ${written.toLocaleString('en-US')} / ${SEEDED_TOKENS.toLocaleString('en-US')} tokens`);
    };
    // Generated and written a transaction at a time, so at most ROWS_PER_TRANSACTION rows are held in memory.
    let pending: TokensTable[] = [];
    const add = async (row: TokensTable) => {
      pending.push(row);
      if (pending.length === ROWS_PER_TRANSACTION) {
        await flushTokens(pending);
        pending = [];
      }
    };
    for (const user of users) {
      for (let t = 0; t < SEED_SHAPE.personalTokensPerUser; t++) await add(makeToken('personal', { userId: user.id, orgId: null, teamId: null }, '', user));
    }
    for (const org of orgs) {
      const admin = adminOf.get(org.id)!;
      for (let t = 0; t < SEED_SHAPE.orgTokensPerOrg; t++) await add(makeToken('organization', { userId: null, orgId: org.id, teamId: null }, `ci-${t}`, admin));
    }
    for (const team of teams) {
      const admin = adminOf.get(team.org_id)!;
      for (let t = 0; t < SEED_SHAPE.teamTokensPerTeam; t++) await add(makeToken('team', { userId: null, orgId: team.org_id, teamId: team.id }, `${team.name}-deploy-${t}`, admin));
    }
    if (pending.length > 0) await flushTokens(pending);

    // The benchmark caller, through the real domain paths: a user in three organizations with a personal token.
    const login = 'bench-caller';
    const user = await createUser(services.deps, NO_REQUEST, SYSTEM, { login, email: 'bench@example.com', name: 'Bench Caller' });
    const memberOf = [orgs[1]!, orgs[42]!, orgs[77]!];
    for (const org of memberOf) await setMember(services.deps, NO_REQUEST, SYSTEM, org.name, login, 'member');
    const principal: Principal = { kind: 'user', user, token: null };
    const issued = await issueToken(services.deps, NO_REQUEST, principal, { type: 'personal' }, { source: 'api', description: 'benchmark caller' });

    if (services.database.dialect === 'postgres') {
      // What autovacuum would have done by now on a table of this size: give the planner statistics.
      await sql`analyze`.execute(db);
    }
    const count = async (table: keyof Database) => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return {
      tokenValue: issued.tokenValue,
      login,
      memberships: memberOf.length,
      counts: {
        users: await count('users'),
        organizations: await count('organizations'),
        orgMembers: await count('org_members'),
        teams: await count('teams'),
        tokens: await count('tokens'),
      },
      ms: performance.now() - started,
    };
  } finally {
    await services.close();
  }
}

/** Inserts rows ROWS_PER_INSERT at a time, ROWS_PER_TRANSACTION per transaction. */
async function insertAll<T extends keyof Database>(db: Kysely<Database>, table: T, rows: ReadonlyArray<Database[T]>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_TRANSACTION) {
    const chunk = rows.slice(i, i + ROWS_PER_TRANSACTION);
    await db.transaction().execute(async (trx) => {
      for (let j = 0; j < chunk.length; j += ROWS_PER_INSERT) {
        // Kysely's insert types are per table; the rows are exactly the table's row type.
        await trx
          .insertInto(table)
          .values(chunk.slice(j, j + ROWS_PER_INSERT) as never)
          .execute();
      }
    });
  }
}
