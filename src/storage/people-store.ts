import { sql } from 'kysely';
import type { Member, OrgMembership, OrgRole, Organization, Team, TeamMember, TeamRole, User } from '../domain/records.js';
import { orgFromRow, orgRole, teamFromRow, teamRole, teamToRow, userFromRow, userToRow } from './mappers.js';
import { StoreBase, USER_COLUMNS } from './store-base.js';

/** Users, organizations, members and teams. */
export abstract class PeopleStore extends StoreBase {
  async countUsers(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertUser(user: User, passwordHash: string | null): Promise<void> {
    await this.unique('login_taken', `login '${user.login}' is taken`, () => this.db.insertInto('users').values(userToRow(user, passwordHash)).execute());
  }

  async findPasswordHash(userId: string): Promise<string | null> {
    const row = await this.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
    return row?.password_hash ?? null;
  }

  async findUserByLogin(login: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').select(USER_COLUMNS).where('login', '=', login).executeTakeFirst();
    return row && userFromRow(row);
  }

  async insertOrg(org: Organization): Promise<void> {
    await this.unique('org_name_taken', `organization '${org.name}' already exists`, () =>
      this.db.insertInto('organizations').values({ id: org.id, name: org.name, created_at: org.createdAt }).execute(),
    );
  }

  async findOrgByName(name: string): Promise<Organization | undefined> {
    // Every token exchange starts here: compiled once.
    const [row] = await this.hot('findOrgByName', () => this.db.selectFrom('organizations').selectAll().where('name', '=', name), [name]);
    return row && orgFromRow(row);
  }

  async findOrgByNameIgnoringCase(name: string): Promise<Organization | undefined> {
    // lower() folds ASCII alike in SQLite and PostgreSQL, and names are ASCII; the unique index on
    // lower(name) (migration 2026-12-04-org-name-case) serves this lookup.
    const row = await this.db.selectFrom('organizations').selectAll().where(sql`lower(name)`, '=', name.toLowerCase()).executeTakeFirst();
    return row && orgFromRow(row);
  }

  async findMemberRole(orgId: string, userId: string): Promise<OrgRole | undefined> {
    const row = await this.db.selectFrom('org_members').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return row && orgRole(row.role);
  }

  async upsertMember(orgId: string, userId: string, role: OrgRole, at: number): Promise<void> {
    await this.db
      .insertInto('org_members')
      .values({ org_id: orgId, user_id: userId, role, created_at: at })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async deleteMember(orgId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('org_members').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listMembers(orgId: string): Promise<Member[]> {
    const rows = await this.db
      .selectFrom('org_members')
      .innerJoin('users', 'users.id', 'org_members.user_id')
      .select([...USER_COLUMNS, 'org_members.role'])
      .where('org_members.org_id', '=', orgId)
      .orderBy('users.login')
      .execute();
    return rows.map((r) => ({ user: userFromRow(r), role: orgRole(r.role) }));
  }

  async countAdmins(orgId: string): Promise<number> {
    const row = await this.db
      .selectFrom('org_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_id', '=', orgId)
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listMemberships(userId: string): Promise<OrgMembership[]> {
    const rows = await this.hot(
      'listMemberships',
      () =>
        this.db
          .selectFrom('org_members')
          .innerJoin('organizations', 'organizations.id', 'org_members.org_id')
          .select(['organizations.id', 'organizations.name', 'organizations.created_at', 'org_members.role'])
          .where('org_members.user_id', '=', userId),
      [userId],
    );
    // Sorted here rather than in SQL: a person belongs to few organizations, and an ORDER BY
    // costs this per-request query a temporary B-tree.
    return rows.map((r) => ({ org: orgFromRow(r), role: orgRole(r.role) })).sort((a, b) => (a.org.name < b.org.name ? -1 : a.org.name > b.org.name ? 1 : 0));
  }

  async insertTeam(team: Team): Promise<void> {
    await this.unique('team_name_taken', `team '${team.name}' already exists`, () => this.db.insertInto('teams').values(teamToRow(team)).execute());
  }

  async findTeam(orgId: string, name: string): Promise<Team | undefined> {
    const row = await this.db.selectFrom('teams').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return row && teamFromRow(row);
  }

  async listTeams(orgId: string): Promise<Team[]> {
    const rows = await this.db.selectFrom('teams').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
    return rows.map(teamFromRow);
  }

  async deleteTeam(teamId: string): Promise<void> {
    await this.db.deleteFrom('team_members').where('team_id', '=', teamId).execute();
    await this.db.deleteFrom('teams').where('id', '=', teamId).execute();
  }

  async findTeamRole(teamId: string, userId: string): Promise<TeamRole | undefined> {
    const row = await this.db.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return row && teamRole(row.role);
  }

  async upsertTeamMember(teamId: string, userId: string, role: TeamRole, at: number): Promise<void> {
    await this.db
      .insertInto('team_members')
      .values({ team_id: teamId, user_id: userId, role, created_at: at })
      .onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async deleteTeamMember(teamId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteTeamMembershipsInOrg(orgId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('team_members')
      .where('user_id', '=', userId)
      .where('team_id', 'in', (eb) => eb.selectFrom('teams').select('id').where('org_id', '=', orgId))
      .execute();
  }

  async listTeamMembers(teamId: string): Promise<TeamMember[]> {
    const rows = await this.db
      .selectFrom('team_members')
      .innerJoin('users', 'users.id', 'team_members.user_id')
      .select([...USER_COLUMNS, 'team_members.role'])
      .where('team_members.team_id', '=', teamId)
      .orderBy('users.login')
      .execute();
    return rows.map((r) => ({ user: userFromRow(r), role: teamRole(r.role) }));
  }

}
