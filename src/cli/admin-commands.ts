import { Option, type Command } from 'commander';
import { purgeExchanges } from '../domain/oidc/purge-exchanges.js';
import { createOrg } from '../domain/orgs/create-org.js';
import { setMember } from '../domain/orgs/set-member.js';
import { SYSTEM } from '../domain/principal.js';
import { createTeam } from '../domain/teams/create-team.js';
import { setTeamMember } from '../domain/teams/set-team-member.js';
import { findUserOrFail } from '../domain/users/create-user.js';
import { ADMIN_CONTEXT, adminCommand, withDatabase, type AdminOptions } from './admin-database.js';
import { registerCreateUser } from './admin-create-user-command.js';
import { printJson } from './format.js';

function registerCreateOrg(admin: Command): void {
  adminCommand(admin, 'create-org', 'create an organization whose first admin is --owner')
    .argument('<org>', 'organization name: 1 to 40 letters, digits, ., - or _')
    .requiredOption('--owner <login>', 'login of the user who becomes the first admin')
    .action(async (name: string, opts: AdminOptions & { owner: string }) => {
      const org = await withDatabase(opts, async (deps) => createOrg(deps, ADMIN_CONTEXT, SYSTEM, name, await findUserOrFail(deps, opts.owner)));
      if (opts.json) printJson({ organization: { id: org.id, name: org.name }, owner: opts.owner });
      else process.stdout.write(`created organization ${org.name} (${org.id}) with admin ${opts.owner}\n`);
    });
}

function registerAddMember(admin: Command): void {
  adminCommand(admin, 'add-member', 'add a user to an organization, or change their role')
    .argument('<org>', 'organization name')
    .argument('<login>', 'login of the user')
    .addOption(new Option('--role <role>', 'role in the organization').choices(['admin', 'member']).default('member'))
    .action(async (org: string, login: string, opts: AdminOptions & { role: 'admin' | 'member' }) => {
      // The operator adds directly (SYSTEM never gets an invitation back).
      const result = await withDatabase(opts, (deps) => setMember(deps, ADMIN_CONTEXT, SYSTEM, org, login, opts.role));
      if (result.kind !== 'member') throw new Error('add-member: expected a direct addition');
      if (opts.json) printJson({ organization: org, login, role: result.role, created: result.created });
      else process.stdout.write(`${login} is ${result.role === 'admin' ? 'an admin' : 'a member'} of ${org}${result.created ? '' : ' (updated)'}\n`);
    });
}

function registerCreateTeam(admin: Command): void {
  adminCommand(admin, 'create-team', 'create a team in an organization')
    .argument('<org>', 'organization name')
    .argument('<team>', 'team name: 1 to 40 letters, digits, ., - or _')
    .option('--maintainer <login>', 'an organization member who becomes the team\'s first maintainer')
    .option('--description <text>', 'what the team is for')
    .action(async (org: string, name: string, opts: AdminOptions & { maintainer?: string; description?: string }) => {
      const team = await withDatabase(opts, (deps) =>
        createTeam(deps, ADMIN_CONTEXT, SYSTEM, org, {
          name,
          ...(opts.maintainer === undefined ? {} : { maintainer: opts.maintainer }),
          ...(opts.description === undefined ? {} : { description: opts.description }),
        }),
      );
      if (opts.json) printJson({ organization: org, team: { id: team.id, name: team.name }, maintainer: opts.maintainer ?? null });
      else process.stdout.write(`created team ${team.name} (${team.id}) in ${org}${opts.maintainer ? ` with maintainer ${opts.maintainer}` : ''}\n`);
    });
}

function registerAddTeamMember(admin: Command): void {
  adminCommand(admin, 'add-team-member', 'add an organization member to a team, or change their team role')
    .argument('<org>', 'organization name')
    .argument('<team>', 'team name')
    .argument('<login>', 'login of the user (must be a member of the organization)')
    .addOption(new Option('--role <role>', 'role in the team').choices(['maintainer', 'member']).default('member'))
    .action(async (org: string, team: string, login: string, opts: AdminOptions & { role: 'maintainer' | 'member' }) => {
      const result = await withDatabase(opts, (deps) => setTeamMember(deps, ADMIN_CONTEXT, SYSTEM, org, team, login, opts.role));
      if (opts.json) printJson({ organization: org, team, login, role: result.role, created: result.created });
      else process.stdout.write(`${login} is ${result.role === 'maintainer' ? 'a maintainer' : 'a member'} of team ${team} in ${org}${result.created ? '' : ' (updated)'}\n`);
    });
}

/** `tessera admin …`: operator commands that work on the database directly, as the system principal. */
export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('manage users, organizations and teams directly in the database (operator only)')
    .addHelpText('after', '\nAdmin commands open the database themselves (--database or TESSERA_DATABASE_URL); the server may keep running.');
  registerCreateUser(admin);
  registerCreateOrg(admin);
  registerAddMember(admin);
  registerCreateTeam(admin);
  registerAddTeamMember(admin);
  registerPurge(admin);
}

function registerPurge(admin: Command): void {
  adminCommand(admin, 'purge', 'delete exchanged (OIDC) tokens expired longer than TESSERA_OIDC_TOKEN_RETENTION, and spent single-use records')
    .addHelpText('after', '\nA running server does this at start-up and every hour; audit events are kept. TESSERA_OIDC_TOKEN_RETENTION=0 keeps exchanged tokens.')
    .action(async (opts: AdminOptions) => {
      const result = await withDatabase(opts, (deps) => purgeExchanges(deps));
      if (opts.json) printJson(result);
      else process.stdout.write(`deleted ${result.tokens} expired exchanged token(s) and ${result.jtis} single-use record(s)\n`);
    });
}
