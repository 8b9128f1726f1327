import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { verifyPassword } from '../src/domain/users/password.js';
import { openServices } from '../src/services.js';
import { createTestDatabase, databaseKinds, type DatabaseKind, type TestDatabase } from './support/databases.js';
import { runCli, type CliResult, freePort, startServer, type ServerProcess } from './support/server-process.js';

// End to end: bin/tessera as a child process against a real `tessera serve` process, one server
// per database kind; the kinds run side by side, the steps within one kind in order.

const TOKEN = /^tsr[pto]_[A-Za-z0-9]{38}$/;
const REQUEST_ID = '[0-9a-f-]{36}';
const DAY = 86400;

function isoDaysAhead(days: number): string {
  return new Date(Date.now() + days * DAY * 1000).toISOString().slice(0, 10);
}

async function whoIs(url: string, token: string): Promise<{ status: number; login?: string }> {
  const res = await fetch(`${url}/api/user`, { headers: { authorization: `token ${token}` } });
  const body = (await res.json()) as { githubLogin?: string };
  return { status: res.status, ...(body.githubLogin ? { login: body.githubLogin } : {}) };
}

/** Lists tokens through the API directly: verification without another CLI process. */
async function apiTokens(url: string, token: string, collection: string, filter = 'all'): Promise<ListedToken[]> {
  const res = await fetch(`${url}${collection}?filter=${filter}&maxResults=1000`, { headers: { authorization: `token ${token}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { tokens: ListedToken[] }).tokens;
}

interface ListedToken {
  id: string;
  name: string;
  description: string;
  expires: number;
  admin: boolean;
  type: string;
  status: string;
  source: string;
}

function suite(kind: DatabaseKind): void {
  describe(`cli (${kind})`, { concurrency: 1 }, () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let home: string;
    const secrets = new Set<string>();
    let aliceToken = '';
    let bobToken = '';

    const baseEnv = (): Record<string, string> => ({
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      TESSERA_URL: server.url,
      TESSERA_DATABASE_URL: db.url,
      TESSERA_LOG_LEVEL: 'silent',
    });

    /** Runs the CLI and checks that no token value the suite knows reached stderr. */
    async function tessera(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
      const r = await runCli({ ...baseEnv(), ...(opts.env ?? {}) }, args, opts.input);
      for (const s of secrets) assert.ok(!r.stderr.includes(s), `a token value reached stderr of tessera ${args.join(' ')}`);
      return r;
    }

    /** Runs the CLI, expects exit 0, and returns stdout. */
    async function ok(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
      const r = await tessera(args, opts);
      assert.equal(r.code, 0, `tessera ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
      return r.stdout;
    }

    /** A token value printed alone on stdout. */
    function tokenFrom(stdout: string): string {
      assert.match(stdout, /^tsr[pto]_[A-Za-z0-9]{38}\n$/, 'stdout holds the token value alone');
      const value = stdout.trim();
      secrets.add(value);
      return value;
    }

    const listJson = async (args: string[], env?: Record<string, string>): Promise<ListedToken[]> =>
      (JSON.parse(await ok(['tokens', 'list', '--json', ...args], env ? { env } : {})) as { tokens: ListedToken[] }).tokens;

    before(async () => {
      db = await createTestDatabase(kind);
      server = await startServer(db.url);
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-'));
    });

    after(async () => {
      await server?.stop();
      await db?.drop();
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    it('admin create-user --token prints a working personal token', async () => {
      const r = await tessera(['admin', 'create-user', 'alice', '--email', 'alice@example.com', '--name', 'Alice', '--token', '--token-expires', '90d']);
      assert.equal(r.code, 0, r.stderr);
      aliceToken = tokenFrom(r.stdout);
      assert.match(r.stderr, /created user alice .*with personal token .*expires \d{4}-\d{2}-\d{2}T/);
      assert.deepEqual(await whoIs(server.url, aliceToken), { status: 200, login: 'alice' });

      const bob = JSON.parse(await ok(['admin', 'create-user', 'bob', '--email', 'bob@example.com', '--token', '--json'])) as {
        user: { id: string; login: string; email: string; name: string; siteAdmin: boolean };
        token: { id: string; tokenValue: string; expires: number };
      };
      assert.deepEqual({ ...bob.user, id: undefined }, { id: undefined, login: 'bob', email: 'bob@example.com', name: 'bob', siteAdmin: false });
      assert.match(bob.token.tokenValue, TOKEN);
      assert.equal(bob.token.expires, 0);
      bobToken = bob.token.tokenValue;
      secrets.add(bobToken);
      assert.equal((await whoIs(server.url, bobToken)).login, 'bob');

      const taken = await tessera(['admin', 'create-user', 'alice', '--email', 'alice@example.com']);
      assert.equal(taken.code, 1, 'a DomainError exits 1');
      assert.equal(taken.stderr, "tessera: login 'alice' is taken\n");

      const list = await apiTokens(server.url, aliceToken, '/api/user/tokens');
      assert.equal(list.length, 1);
      assert.equal(list[0]!.source, 'cli');
      assert.equal(list[0]!.description, 'created by tessera admin create-user');
    });

    it('admin create-user --password-stdin stores the password, --site-admin makes an administrator', async () => {
      const out = await ok(['admin', 'create-user', 'carol', '--email', 'carol@example.com', '--password-stdin', '--site-admin', '--json'], {
        input: 'correct horse battery\n',
      });
      assert.equal((JSON.parse(out) as { user: { siteAdmin: boolean } }).user.siteAdmin, true);
      const services = await openServices({ databaseUrl: db.url, maxTokenLifetimeSeconds: 2 * 365 * DAY, requireTokenExpiry: false });
      try {
        const carol = await services.deps.store.findUserByLogin('carol');
        assert.ok(carol);
        const hash = await services.deps.store.findPasswordHash(carol.id);
        assert.ok(hash);
        assert.equal(await verifyPassword('correct horse battery', hash), true, 'only the trailing newline is dropped');
      } finally {
        await services.close();
      }
    });

    it('admin create-org, add-member, create-team and add-team-member', async () => {
      assert.match(await ok(['admin', 'create-org', 'acme', '--owner', 'alice']), /created organization acme .* with admin alice/);
      assert.match(await ok(['admin', 'add-member', 'acme', 'bob']), /bob is a member of acme/);
      const team = JSON.parse(await ok(['admin', 'create-team', 'acme', 'platform', '--maintainer', 'bob', '--json'])) as { team: { name: string }; maintainer: string };
      assert.equal(team.team.name, 'platform');
      assert.equal(team.maintainer, 'bob');
      const outsider = await tessera(['admin', 'add-team-member', 'acme', 'platform', 'carol']);
      assert.equal(outsider.code, 1);
      assert.equal(outsider.stderr, "tessera: 'carol' is not a member of 'acme'\n");
      await ok(['admin', 'add-member', 'acme', 'carol', '--role', 'admin']);
      const added = JSON.parse(await ok(['admin', 'add-team-member', 'acme', 'platform', 'carol', '--role', 'maintainer', '--json'])) as Record<string, unknown>;
      assert.deepEqual(added, { organization: 'acme', team: 'platform', login: 'carol', role: 'maintainer', created: true });
    });

    it('admin purge deletes nothing made by people and reports what it deleted', async () => {
      assert.deepEqual(JSON.parse(await ok(['admin', 'purge', '--json'])), { tokens: 0, jtis: 0 });
      assert.equal(await ok(['admin', 'purge']), 'deleted 0 expired exchanged token(s) and 0 single-use record(s)\n');
    });

    it('login reads the token from stdin and stores it with mode 0600 in a 0700 directory', async () => {
      const r = await tessera(['login'], { input: `${aliceToken}\n` });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Logged in to ${server.url} as alice\n`);
      const file = path.join(home, 'config', 'tessera', 'credentials.json');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { url: server.url, token: aliceToken });
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['credentials.json'], 'no temporary file is left behind');

      // TESSERA_TOKEN when stdin is empty; a refused token stores nothing.
      const other = path.join(home, 'other');
      const viaEnv = await tessera(['login', '--url', server.url], { env: { XDG_CONFIG_HOME: other, TESSERA_URL: '', TESSERA_TOKEN: bobToken } });
      assert.equal(viaEnv.stdout, `Logged in to ${server.url} as bob\n`);
      const bad = 'tsrp_' + 'A'.repeat(38);
      const refused = await tessera(['login'], { input: bad, env: { XDG_CONFIG_HOME: path.join(home, 'refused') } });
      assert.equal(refused.code, 1);
      assert.ok(!refused.stderr.includes(bad), 'the token is not echoed');
      assert.match(refused.stderr, new RegExp(`^tessera: .*\\(reason: token_invalid, request id: ${REQUEST_ID}\\)\\n$`));
      assert.equal(fs.existsSync(path.join(home, 'refused', 'tessera', 'credentials.json')), false);
    });

    it('whoami shows the login and organizations of the stored credentials', async () => {
      const plain = await ok(['whoami']);
      assert.equal(plain.split('\n')[0], 'alice');
      assert.match(plain, /organizations: acme \(admin\)/);
      const json = JSON.parse(await ok(['whoami', '--json'])) as { githubLogin: string; organizations: { name: string; role: string }[] };
      assert.equal(json.githubLogin, 'alice');
      assert.deepEqual(json.organizations.map((o) => [o.name, o.role]), [['acme', 'admin']]);
      // A stored token is not sent to another server.
      const elsewhere = await tessera(['whoami'], { env: { TESSERA_URL: 'http://127.0.0.1:9' } });
      assert.equal(elsewhere.code, 1);
      assert.match(elsewhere.stderr, /not logged in to http:\/\/127\.0\.0\.1:9/);
    });

    it('personal tokens: create with --expires 30d and an ISO date, list as JSON and table, delete', async () => {
      const before = Math.floor(Date.now() / 1000);
      const laptop = tokenFrom(await ok(['tokens', 'create', '--description', 'laptop', '--expires', '30d']));
      assert.equal((await whoIs(server.url, laptop)).login, 'alice');
      const date = isoDaysAhead(60);
      const release = JSON.parse(await ok(['tokens', 'create', '--description', 'release', '--expires', date, '--json'])) as { id: string; tokenValue: string };
      assert.deepEqual(Object.keys(release).sort(), ['id', 'tokenValue']);
      secrets.add(release.tokenValue);

      const list = await listJson([]);
      const l = list.find((t) => t.description === 'laptop');
      const rel = list.find((t) => t.id === release.id);
      assert.ok(l && rel);
      assert.ok(Math.abs(l.expires - (before + 30 * DAY)) < 120, `expires ${l.expires} is 30 days ahead`);
      assert.equal(rel.expires, Date.parse(`${date}T00:00:00Z`) / 1000);
      assert.equal(rel.source, 'cli');
      assert.equal(rel.type, 'personal');

      const table = (await ok(['tokens', 'list'])).split('\n');
      assert.match(table[0]!, /^ID\s+NAME\s+DESCRIPTION\s+STATUS\s+EXPIRES\s+LAST USED$/);
      const row = table.find((line) => line.startsWith(rel.id));
      assert.ok(row, 'the table lists the token');
      assert.match(row, new RegExp(`release\\s+active\\s+${date}T00:00:00Z\\s+never$`));

      assert.equal(await ok(['tokens', 'delete', rel.id]), `deleted personal token ${rel.id}\n`);
      assert.equal((await apiTokens(server.url, aliceToken, '/api/user/tokens')).find((t) => t.id === rel.id)?.status, 'revoked');
      assert.equal((await whoIs(server.url, release.tokenValue)).status, 401);
    });

    it('tokens list follows continuationToken through every page', async () => {
      const all = await apiTokens(server.url, aliceToken, '/api/user/tokens');
      const paged = await listJson(['--filter', 'all', '--page-size', '1']);
      assert.ok(all.length >= 3);
      assert.deepEqual(paged.map((t) => t.id), all.map((t) => t.id));
    });

    it('organization tokens: create (admin, ISO date-time expiry), list, delete', async () => {
      const when = new Date((Math.floor(Date.now() / 1000) + 10 * DAY) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const value = tokenFrom(await ok(['tokens', 'create', '--org', 'acme', '--name', 'ci-bot', '--description', 'CI', '--admin', '--expires', when]));
      assert.match(value, /^tsro_/);
      assert.equal((await whoIs(server.url, value)).login, 'acme');
      const t = (await listJson(['--org', 'acme'])).find((x) => x.name === 'ci-bot');
      assert.ok(t);
      assert.equal(t.admin, true);
      assert.equal(t.type, 'organization');
      assert.equal(t.expires, Date.parse(when) / 1000);
      assert.match(await ok(['tokens', 'list', '--org', 'acme']), new RegExp(`${t.id}\\s+ci-bot\\s+CI\\s+active\\s+${when}\\s+`));
      // Organization tokens need a name.
      const unnamed = await tessera(['tokens', 'create', '--org', 'acme']);
      assert.equal(unnamed.code, 2);
      assert.match(unnamed.stderr, /organization tokens need --name/);

      assert.equal(await ok(['tokens', 'delete', '--org', 'acme', t.id]), `deleted organization token ${t.id}\n`);
      assert.equal((await apiTokens(server.url, aliceToken, '/api/orgs/acme/tokens')).find((x) => x.id === t.id)?.status, 'revoked');
      assert.equal((await whoIs(server.url, value)).status, 401);
    });

    it("team tokens: a team maintainer creates, lists and deletes the team's tokens", async () => {
      const asBob = { TESSERA_TOKEN: bobToken };
      const value = tokenFrom(await ok(['tokens', 'create', '--org', 'acme', '--team', 'platform', '--name', 'deploy', '--expires', '12h'], { env: asBob }));
      assert.match(value, /^tsrt_/);
      const list = await listJson(['--org', 'acme', '--team', 'platform'], asBob);
      const t = list.find((x) => x.name === 'deploy');
      assert.ok(t);
      assert.equal(t.type, 'team');
      assert.match(await ok(['tokens', 'list', '--org', 'acme', '--team', 'platform'], { env: asBob }), new RegExp(`${t.id}\\s+deploy\\s+-\\s+active\\s+\\d{4}-`));
      await ok(['tokens', 'delete', '--org', 'acme', '--team', 'platform', t.id], { env: asBob });
      assert.equal((await apiTokens(server.url, aliceToken, '/api/orgs/acme/teams/platform/tokens')).find((x) => x.id === t.id)?.status, 'revoked');
      assert.equal((await whoIs(server.url, value)).status, 401);
    });

    it('a server error shows the message, reason and request id and exits 1', async () => {
      const missing = await tessera(['tokens', 'list', '--org', 'nope']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stdout, '');
      assert.match(missing.stderr, new RegExp(`^tessera: organization 'nope' not found \\(reason: org_not_found, request id: ${REQUEST_ID}\\)\\n$`));
      const requestId = /request id: ([0-9a-f-]{36})/.exec(missing.stderr)![1]!;
      assert.ok(server.output().includes(requestId), 'the server logged the same request id');

      const forbidden = await tessera(['tokens', 'create', '--org', 'acme', '--name', 'nope'], { env: { TESSERA_TOKEN: bobToken } });
      assert.equal(forbidden.code, 1);
      assert.match(forbidden.stderr, /\(reason: forbidden, request id: /);

      const unknown = 'tsrp_' + 'b'.repeat(38);
      const r = await tessera(['whoami'], { env: { TESSERA_TOKEN: unknown } });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /reason: token_invalid/);
      assert.ok(!r.stderr.includes(unknown) && !r.stdout.includes(unknown), 'the token is never printed');
    });

    it('an unreachable server is a clear error with exit code 1', async () => {
      const port = await freePort();
      const r = await tessera(['tokens', 'list'], { env: { TESSERA_URL: `http://127.0.0.1:${port}`, TESSERA_TOKEN: aliceToken } });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^tessera: cannot reach the Tessera server at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    });

    it('bad usage is refused with exit code 2 before anything is sent or written', async () => {
      const word = await tessera(['tokens', 'create', '--expires', 'tomorrow']);
      assert.equal(word.code, 2);
      assert.match(word.stderr, /'--expires <when>' argument 'tomorrow' is invalid\. Expected never, a duration \(90m, 12h, 30d, 1y\) or an ISO 8601 date/);
      const past = await tessera(['tokens', 'create', '--expires', '2001-01-01']);
      assert.equal(past.code, 2);
      assert.match(past.stderr, /lies in the past/);
      const teamOnly = await tessera(['tokens', 'list', '--team', 'platform']);
      assert.equal(teamOnly.code, 2);
      assert.match(teamOnly.stderr, /--team requires --org/);

      const soon = await tessera(['admin', 'create-user', 'dave', '--email', 'dave@example.com', '--token', '--token-expires', 'soon']);
      assert.equal(soon.code, 2);
      assert.match(soon.stderr, /'--token-expires <when>' argument 'soon' is invalid/);
      // Beyond the server's maximum lifetime: refused by the domain, and no user is left behind.
      const far = await tessera(['admin', 'create-user', 'dave', '--email', 'dave@example.com', '--token', '--token-expires', '5y']);
      assert.equal(far.code, 1);
      assert.match(far.stderr, /^tessera: expires may be at most \d+ days ahead\n$/);
      assert.match(await ok(['admin', 'create-user', 'dave', '--email', 'dave@example.com']), /created user dave/);
    });

    it('no token value appears in the server output', () => {
      assert.ok(secrets.size >= 6);
      const out = server.output();
      assert.ok(out.includes('"path":"/api/user/tokens"'), 'the server logged the requests');
      for (const s of secrets) assert.ok(!out.includes(s), 'a token value reached the server output');
    });
  });
}

describe('cli', { concurrency: true }, () => {
  for (const kind of databaseKinds()) suite(kind);

  describe('help and openapi', { concurrency: true }, () => {
    it('every command has a description and --help text that documents each option and argument', async () => {
      // In-process over the whole command tree, so a command added later is covered too.
      const { buildProgram } = await import('../src/cli/program.js');
      const visit = (cmd: Command, names: string[]): number => {
        const help = cmd.helpInformation();
        assert.ok(help.startsWith(`Usage: ${names.join(' ')}`), help);
        assert.ok(cmd.description().length > 10, `${names.join(' ')} has a description`);
        for (const o of cmd.options) assert.ok(o.hidden || o.description.length > 5, `${names.join(' ')} ${o.flags} is described`);
        for (const a of cmd.registeredArguments) assert.ok(a.description.length > 5, `${names.join(' ')} <${a.name()}> is described`);
        return 1 + cmd.commands.reduce((n, sub) => n + visit(sub, [...names, sub.name()]), 0);
      };
      const program = buildProgram();
      assert.ok(visit(program, ['tessera']) >= 16);
      const expected = ['serve', 'migrate', 'admin', 'login', 'whoami', 'tokens', 'oidc', 'openapi'];
      assert.deepEqual(program.commands.map((c) => c.name()), expected);
      const admin = program.commands.find((c) => c.name() === 'admin')!;
      assert.deepEqual(admin.commands.map((c) => c.name()), ['create-user', 'create-org', 'add-member', 'create-team', 'add-team-member', 'purge']);
      const tokens = program.commands.find((c) => c.name() === 'tokens')!;
      assert.deepEqual(tokens.commands.map((c) => c.name()), ['list', 'create', 'delete']);
    });

    for (const command of [[], ['admin', 'create-user'], ['tokens', 'create'], ['login']]) {
      it(`tessera ${[...command, '--help'].join(' ')} prints help and exits 0`, async () => {
        const r = await runCli({ HOME: os.tmpdir() }, [...command, '--help']);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.startsWith(`Usage: ${['tessera', ...command].join(' ')} `), r.stdout);
        assert.match(r.stdout, /\n\s*-h, --help\s+display help for command\n/);
      });
    }

    it('tessera openapi prints the OpenAPI document as pretty JSON', async () => {
      const r = await runCli({ HOME: os.tmpdir() }, ['openapi']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { openapi: string; paths: Record<string, unknown> };
      assert.equal(doc.openapi, '3.0.3');
      assert.ok('/api/user/tokens' in doc.paths);
      assert.ok(r.stdout.startsWith('{\n  "openapi"') && r.stdout.endsWith('}\n'));
    });
  });
});
