import { DomainError } from '../domain/errors.js';
import type { User } from '../domain/records.js';
import { isUniqueViolation } from './dialect.js';
import { userFromRow } from './mappers.js';
import type { SessionRecord } from '../domain/records.js';
import { sessionFromRow, sessionToRow } from './mappers.js';
import { TokenStore } from './token-store.js';
import { USER_COLUMNS, OWNER_COLUMNS, ownerFromRow } from './store-base.js';

/** Sign-in accounts and console sessions. */
export abstract class AccountStore extends TokenStore {
  // sessions and accounts

  async claimSetup(at: number): Promise<void> {
    try {
      await this.db.insertInto('setup').values({ id: 1, completed_at: at }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError('setup_done', 'setup has already been done; sign in instead');
      throw err;
    }
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').select(USER_COLUMNS).orderBy('login').execute();
    return rows.map(userFromRow);
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
  }

  async setUserDisabled(userId: string, disabledAt: number | null): Promise<User | undefined> {
    await this.db.updateTable('users').set({ disabled_at: disabledAt }).where('id', '=', userId).execute();
    const row = await this.db.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId).executeTakeFirst();
    return row && userFromRow(row);
  }

  async insertSession(session: SessionRecord): Promise<void> {
    await this.db.insertInto('sessions').values(sessionToRow(session)).execute();
  }

  async findSession(idHash: string): Promise<{ session: SessionRecord; user: User } | undefined> {
    // Every cookie-authenticated request makes this read: one round trip, compiled once.
    const [row] = await this.hot(
      'findSession',
      () =>
        this.db
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .selectAll('sessions')
          .select(OWNER_COLUMNS)
          .where('sessions.id_hash', '=', idHash),
      [idHash],
    );
    const user = row && ownerFromRow(row.user_id, row);
    return row && user ? { session: sessionFromRow(row), user } : undefined;
  }

  async touchSession(idHash: string, lastSeenAt: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id_hash', '=', idHash).where('last_seen_at', '<', lastSeenAt).execute();
  }

  async markSessionPasswordVerified(idHash: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('sessions').set({ password_verified_at: at }).where('id_hash', '=', idHash).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deleteSession(idHash: string): Promise<boolean> {
    const r = await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteUserSessions(userId: string, exceptIdHash?: string): Promise<number> {
    let q = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (exceptIdHash !== undefined) q = q.where('id_hash', '!=', exceptIdHash);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteExpiredSessions(nowMs: number, idleBeforeMs: number): Promise<number> {
    const r = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', nowMs), eb('last_seen_at', '<', idleBeforeMs)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

}
