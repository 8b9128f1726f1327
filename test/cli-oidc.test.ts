import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OAuth2Server } from 'oauth2-mock-server';
import { createTestDatabase, databaseKinds, type DatabaseKind, type TestDatabase } from './support/databases.js';
import { startLocalServer, startMockIssuer, type LocalServer } from './support/issuers.js';
import { runCli, type CliResult, startServer, type ServerProcess } from './support/server-process.js';

// End to end: bin/tessera's OIDC commands as child processes against a real `tessera serve`
// process (loopback issuers allowed), with oauth2-mock-server signing GitHub-Actions-like ID
// tokens and a small http server playing GitHub's ID token endpoint.

const ORG = 'acme';
const AUD = `urn:pulumi:org:${ORG}`;
const SUB = 'repo:acme/app:ref:refs/heads/main';
const REQUEST_ID = '[0-9a-f-]{36}';
const ACCESS_TOKEN = /^tsr[pto]_[A-Za-z0-9]{38}$/;
const GITHUB_REQUEST_TOKEN = 'gh-request-token-0123456789';

/** The policies the suite saves: admin organization tokens, team platform, personal bob, and a deny. */
const POLICIES = [
  { decision: 'allow', tokenType: 'organization', authorizedPermissions: ['admin'], rules: { sub: SUB, repository_id: '123456' } },
  { decision: 'allow', tokenType: 'team', teamName: 'platform', authorizedPermissions: [], rules: { repository: 'acme/app', ref: 'refs/heads/main' } },
  { decision: 'allow', tokenType: 'personal', userLogin: 'bob', authorizedPermissions: [], rules: { sub: SUB, environment: 'prod' } },
  { decision: 'deny', tokenType: 'organization', authorizedPermissions: [], rules: { ref: 'refs/heads/evil' } },
];

async function whoIs(url: string, token: string): Promise<{ status: number; githubLogin?: string; token?: { type: string; expires: number } }> {
  const res = await fetch(`${url}/api/user`, { headers: { authorization: `token ${token}` } });
  return { status: res.status, ...((await res.json()) as object) };
}

function suite(kind: DatabaseKind): void {
  describe(`cli oidc (${kind})`, { concurrency: 1 }, () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let mock: OAuth2Server;
    let github: LocalServer;
    let home: string;
    let issuerUrl: string;
    let aliceToken = '';
    /** ID tokens: never printed anywhere. */
    const jwts = new Set<string>();
    /** Access tokens: printed on stdout only when asked for. */
    const minted = new Set<string>();

    const baseEnv = (): Record<string, string> => ({
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      TESSERA_URL: server.url,
      TESSERA_DATABASE_URL: db.url,
      TESSERA_LOG_LEVEL: 'silent',
    });
    const asAlice = (): Record<string, string> => ({ TESSERA_TOKEN: aliceToken });
    /** A fresh credentials directory, so each login is checked on its own. */
    const configDir = (name: string): Record<string, string> => ({ XDG_CONFIG_HOME: path.join(home, name) });

    /** Runs the CLI; no ID token may reach stdout or stderr, and no access token stderr. */
    async function tessera(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
      const r = await runCli({ ...baseEnv(), ...(opts.env ?? {}) }, args, opts.input);
      for (const jwt of jwts) {
        for (const part of jwt.split('.')) {
          assert.ok(!r.stdout.includes(part) && !r.stderr.includes(part), `the ID token reached the output of tessera ${args.join(' ')}`);
        }
      }
      for (const t of minted) assert.ok(!r.stderr.includes(t), `an access token reached stderr of tessera ${args.join(' ')}`);
      return r;
    }

    async function ok(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
      const r = await tessera(args, opts);
      assert.equal(r.code, 0, `tessera ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
      return r.stdout;
    }

    async function fails(code: number, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
      const r = await tessera(args, opts);
      assert.equal(r.code, code, `tessera ${args.join(' ')} exited ${r.code}, expected ${code}:\n${r.stderr}`);
      return r;
    }

    /** A GitHub Actions ID token for `acme/app` on main, signed by the mock issuer; `undefined` removes a claim. */
    async function idToken(overrides: Record<string, unknown> = {}): Promise<string> {
      const jwt = await mock.issuer.buildToken({
        scopesOrTransform: (_header, payload) => {
          Object.assign(payload, {
            sub: SUB,
            aud: AUD,
            jti: randomUUID(),
            repository: 'acme/app',
            repository_owner: 'acme',
            repository_id: '123456',
            ref: 'refs/heads/main',
            environment: 'prod',
            ...overrides,
          });
          for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
        },
      });
      jwts.add(jwt);
      return jwt;
    }

    function writeFile(name: string, content: string): string {
      const file = path.join(home, name);
      fs.writeFileSync(file, content, { mode: 0o600 });
      return file;
    }

    function remember(token: string): string {
      assert.match(token, ACCESS_TOKEN);
      minted.add(token);
      return token;
    }

    function storedToken(dir: string): string {
      const stored = JSON.parse(fs.readFileSync(path.join(home, dir, 'tessera', 'credentials.json'), 'utf8')) as { url: string; token: string };
      assert.equal(stored.url, server.url);
      return remember(stored.token);
    }

    before(async () => {
      db = await createTestDatabase(kind);
      server = await startServer(db.url, { TESSERA_ALLOW_LOOPBACK_ISSUERS: '1' });
      mock = await startMockIssuer();
      // 127.0.0.1 rather than localhost, so the server connects where the mock listens.
      mock.issuer.url = `http://127.0.0.1:${mock.address().port}`;
      issuerUrl = mock.issuer.url;
      github = await startLocalServer();
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-oidc-'));
    });

    after(async () => {
      await github?.close();
      await mock?.stop();
      await server?.stop();
      await db?.drop();
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    it('setup: an organization acme with admin alice, member bob and team platform', async () => {
      aliceToken = (await ok(['admin', 'create-user', 'alice', '--email', 'alice@example.com', '--token'])).trim();
      remember(aliceToken);
      await ok(['admin', 'create-user', 'bob', '--email', 'bob@example.com']);
      await ok(['admin', 'create-org', ORG, '--owner', 'alice']);
      await ok(['admin', 'add-member', ORG, 'bob']);
      await ok(['admin', 'create-team', ORG, 'platform']);
    });

    it('issuers add, list and remove (by name and by id)', async () => {
      const added = await ok(['oidc', 'issuers', 'add', '--org', ORG, '--name', 'github', '--url', issuerUrl], { env: asAlice() });
      assert.match(added, new RegExp(`^registered issuer github\\n  id: +${REQUEST_ID}\\n  url: +${issuerUrl.replace(/[.]/g, '\\.')}\\n  thumbprints: +none\\n`));

      // A static key set, pinned thumbprints (normalised by the server) and a shorter maximum.
      const jwks = writeFile('jwks.json', JSON.stringify({ keys: mock.issuer.keys.toJSON() }));
      const pin = 'AB:'.repeat(31) + 'AB';
      const stat = JSON.parse(
        await ok(['oidc', 'issuers', 'add', '--org', ORG, '--name', 'static', '--url', 'http://127.0.0.1:9/static', '--jwks', `@${jwks}`, '--thumbprint', pin, '--thumbprint', 'cd'.repeat(32), '--max-expiration', '10m', '--json'], {
          env: asAlice(),
        }),
      ) as { id: string; thumbprints: string[]; maxExpiration: number; jwks?: unknown };
      assert.deepEqual(stat.thumbprints, ['ab'.repeat(32), 'cd'.repeat(32)]);
      assert.equal(stat.maxExpiration, 600);
      assert.ok(stat.jwks);
      const third = JSON.parse(await ok(['oidc', 'issuers', 'add', '--org', ORG, '--name', 'third', '--url', 'http://127.0.0.1:9/third', '--jwks', `@${jwks}`, '--json'], { env: asAlice() })) as { id: string };

      const table = (await ok(['oidc', 'issuers', 'list', '--org', ORG], { env: asAlice() })).split('\n');
      assert.match(table[0]!, /^ID\s+NAME\s+URL\s+THUMBPRINTS\s+KEYS\s+MAX EXPIRATION\s+LAST USED$/);
      assert.match(table.find((l) => l.startsWith(stat.id)) ?? '', /\sstatic\s+http:\/\/127\.0\.0\.1:9\/static\s+2\s+static\s+10m\s+never$/);
      assert.match(table.find((l) => l.includes(' github ')) ?? '', /\s0\s+fetched\s+25h\s+never$/);

      assert.equal(await ok(['oidc', 'issuers', 'remove', 'static', '--org', ORG], { env: asAlice() }), `removed issuer static (${stat.id})\n`);
      assert.equal(await ok(['oidc', 'issuers', 'remove', third.id, '--org', ORG], { env: asAlice() }), `removed issuer third (${third.id})\n`);
      const list = JSON.parse(await ok(['oidc', 'issuers', 'list', '--org', ORG, '--json'], { env: asAlice() })) as { oidcIssuers: { name: string }[] };
      assert.deepEqual(list.oidcIssuers.map((i) => i.name), ['github']);

      const missing = await fails(1, ['oidc', 'issuers', 'remove', 'static', '--org', ORG], { env: asAlice() });
      assert.equal(missing.stderr, "tessera: organization 'acme' has no OIDC issuer with id or name 'static'; see tessera oidc issuers list --org acme\n");
      const noOrg = await fails(2, ['oidc', 'issuers', 'list'], { env: asAlice() });
      assert.match(noOrg.stderr, /required option '--org <org>' not specified/);
    });

    it('policies set saves the list, prints the version and every warning on stderr; get prints it', async () => {
      const file = writeFile('policies.json', JSON.stringify(POLICIES));
      const r = await tessera(['oidc', 'policies', 'set', 'github', '--org', ORG, '--file', file], { env: asAlice() });
      assert.equal(r.code, 0, r.stderr);
      const version = Number(/^saved 4 policies for issuer github: version (\d+)\n$/.exec(r.stdout)?.[1]);
      assert.ok(version >= 1, r.stdout);
      // The team policy does not constrain sub.
      assert.match(r.stderr, /^tessera: warning: policy 1: .+ \(sub_unconstrained\)$/m);

      const saved = JSON.parse(await ok(['oidc', 'policies', 'get', 'github', '--org', ORG], { env: asAlice() })) as { id: string; version: number; policies: unknown[] };
      assert.equal(saved.version, version);
      assert.equal(saved.policies.length, 4);

      // {policies: [...]} is accepted too; --json carries the warnings the stderr lines came from.
      const wrapped = writeFile('wrapped.json', JSON.stringify({ policies: POLICIES }));
      const again = await tessera(['oidc', 'policies', 'set', 'github', '--org', ORG, '--file', wrapped, '--json'], { env: asAlice() });
      assert.equal(again.code, 0, again.stderr);
      const body = JSON.parse(again.stdout) as { version: number; warnings: { policyIndex: number; code: string; message: string }[] };
      assert.equal(body.version, version + 1);
      assert.ok(body.warnings.length >= 1);
      assert.equal(again.stderr, body.warnings.map((w) => `tessera: warning: policy ${w.policyIndex}: ${w.message} (${w.code})\n`).join(''));

      const invalid = writeFile('invalid.json', JSON.stringify([{ decision: 'maybe', tokenType: 'organization', rules: {} }]));
      const refused = await fails(1, ['oidc', 'policies', 'set', 'github', '--org', ORG, '--file', invalid], { env: asAlice() });
      assert.match(refused.stderr, new RegExp(`\\(reason: policy_invalid, request id: ${REQUEST_ID}\\)\\n$`));
      const notAList = writeFile('object.json', '{"decision": "allow"}');
      assert.match((await fails(1, ['oidc', 'policies', 'set', 'github', '--org', ORG, '--file', notAList], { env: asAlice() })).stderr, /must hold a JSON array of policies or \{"policies": \[\.\.\.\]\}/);
    });

    it('login --oidc-token @file stores an organization token; whoami works with it', async () => {
      const file = writeFile('id-token.jwt', `${await idToken()}\n`);
      const stdout = await ok(['login', '--oidc-token', `@${file}`, '--oidc-org', ORG], { env: configDir('org-login') });
      assert.match(stdout, new RegExp(`^Logged in to ${server.url.replace(/[.]/g, '\\.')} as acme \\(organization token oidc-[A-Za-z0-9_-]{12}\\)\\n$`));
      const token = storedToken('org-login');
      assert.match(token, /^tsro_/);
      const who = await ok(['whoami'], { env: configDir('org-login') });
      assert.match(who.split('\n')[0]!, /^acme \(organization token oidc-/);
      assert.match(who, /token: +organization, expires \d{4}-/);
      const me = await whoIs(server.url, token);
      assert.ok(me.token && Math.abs(me.token.expires - (Date.now() / 1000 + 7200)) < 120, 'the default lifetime is 2h');
    });

    it('login --oidc-token - reads stdin and takes the organization from aud; --oidc-expiration sets the lifetime', async () => {
      const jwt = await idToken();
      const stdout = await ok(['login', '--oidc-token', '-', '--oidc-expiration', '30m'], { input: `${jwt}\n`, env: configDir('stdin-login') });
      assert.match(stdout, /as acme \(organization token oidc-/);
      const me = await whoIs(server.url, storedToken('stdin-login'));
      assert.equal(me.githubLogin, ORG);
      assert.ok(me.token && Math.abs(me.token.expires - (Date.now() / 1000 + 1800)) < 120, 'expires in 30 minutes');
      assert.match((await ok(['whoami'], { env: configDir('stdin-login') })).split('\n')[0]!, /^acme \(organization token/);
    });

    it('team and personal exchanges, with the team taken from the scope claim or the flags', async () => {
      const teamFile = writeFile('team.jwt', await idToken());
      assert.match(await ok(['login', '--oidc-token', `@${teamFile}`, '--oidc-team', 'platform'], { env: configDir('team-login') }), /as acme \(team platform, token oidc-[A-Za-z0-9_-]{12}\)\n$/);
      assert.match(storedToken('team-login'), /^tsrt_/);

      // The Pulumi CLI reads team:<name> from a scope claim when no team option is given.
      const scoped = await idToken({ scope: 'read team:platform' });
      const viaClaim = JSON.parse(await ok(['oidc', 'exchange', '--token', scoped, '--json'])) as { access_token: string; issued_token_type: string; scope: string };
      remember(viaClaim.access_token);
      assert.equal(viaClaim.issued_token_type, 'urn:pulumi:token-type:access_token:team');
      assert.equal(viaClaim.scope, 'team:platform');

      const personal = JSON.parse(await ok(['oidc', 'exchange', '--org', ORG, '--user', 'bob', '--token', `@${writeFile('bob.jwt', await idToken())}`, '--json'])) as Record<string, unknown>;
      assert.deepEqual(Object.keys(personal).sort(), ['access_token', 'expires_in', 'issued_token_type', 'scope', 'token_type']);
      assert.equal(personal.scope, 'user:bob');
      assert.equal(personal.expires_in, 7200);
      assert.equal((await whoIs(server.url, remember(personal.access_token as string))).githubLogin, 'bob');
    });

    it('oidc exchange --print prints the token alone; the default summary and --admin', async () => {
      const r = await tessera(['oidc', 'exchange', '--org', ORG, '--token', `@${writeFile('print.jwt', await idToken())}`, '--print']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^tsro_[A-Za-z0-9]{38}\n$/);
      assert.equal(r.stderr, '');
      const me = await whoIs(server.url, remember(r.stdout.trim()));
      assert.equal(me.status, 200);
      assert.equal(me.githubLogin, ORG);

      const summary = await ok(['oidc', 'exchange', '--org', ORG, '--admin', '--expiration', '3600', '--token', '-'], { input: await idToken() });
      const value = /^access token: (tsro_\S+)\n/.exec(summary)?.[1];
      assert.ok(value, summary);
      remember(value);
      assert.match(summary, /\ntype: +organization token \(admin\)\norganization: +acme\nexpires: +\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \(in 1h\)\n$/);
      const admin = await fetch(`${server.url}/api/user`, { headers: { authorization: `token ${value}` } });
      assert.equal(((await admin.json()) as { organizations: { role: string }[] }).organizations[0]?.role, 'admin');
    });

    it('--github gets the ID token from the GitHub Actions endpoint, for exchange and login', async () => {
      let jwt = '';
      github.handler = (req, res) => {
        const url = new URL(req.url ?? '', github.origin);
        if (req.headers.authorization !== `bearer ${GITHUB_REQUEST_TOKEN}` || url.searchParams.get('audience') !== AUD || url.searchParams.get('api-version') !== '2.0') {
          return res.writeHead(401).end();
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value: jwt }));
      };
      const actions = { ACTIONS_ID_TOKEN_REQUEST_URL: `${github.origin}/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: GITHUB_REQUEST_TOKEN };

      jwt = await idToken();
      const printed = await ok(['oidc', 'exchange', '--org', ORG, '--github', '--team', 'platform', '--print'], { env: actions });
      assert.match(printed, /^tsrt_[A-Za-z0-9]{38}\n$/);
      assert.equal((await whoIs(server.url, remember(printed.trim()))).status, 200);
      assert.equal(github.requests.at(-1), `/idtoken?api-version=2.0&audience=${encodeURIComponent(AUD)}`);

      // Without a query string the audience starts one.
      jwt = await idToken();
      const plainUrl = { ...actions, ACTIONS_ID_TOKEN_REQUEST_URL: `${github.origin}/idtoken` };
      github.handler = (req, res) =>
        req.url === `/idtoken?audience=${encodeURIComponent(AUD)}` && req.headers.authorization === `bearer ${GITHUB_REQUEST_TOKEN}`
          ? res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: jwt }))
          : res.writeHead(401).end();
      assert.match(await ok(['login', '--github', '--oidc-org', ORG], { env: { ...plainUrl, ...configDir('github-login') } }), /as acme \(organization token oidc-/);
      storedToken('github-login');

      const refused = await fails(1, ['oidc', 'exchange', '--org', ORG, '--github'], { env: { ...plainUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' } });
      assert.match(refused.stderr, /^tessera: the GitHub Actions token endpoint \(http:\/\/127\.0\.0\.1:\d+\) answered HTTP 401; check that the job has `permissions: id-token: write`\n$/);
      const outside = await fails(1, ['oidc', 'exchange', '--org', ORG, '--github']);
      assert.match(outside.stderr, /ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.*`permissions: id-token: write`/);
      const noOrg = await fails(2, ['oidc', 'exchange', '--github'], { env: actions });
      assert.match(noOrg.stderr, /--github needs --org/);
    });

    it('a denied exchange prints the description, error and request id, exits 1, and stores nothing', async () => {
      const jwt = await idToken({ ref: 'refs/heads/evil' });
      const r = await fails(1, ['oidc', 'exchange', '--org', ORG, '--token', jwt]);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^tessera: a deny policy matched the token's claims \\(invalid_request, request ${REQUEST_ID}\\)\\n$`));
      const requestId = new RegExp(`request (${REQUEST_ID})\\)`).exec(r.stderr)![1]!;
      assert.ok(server.output().includes(requestId), 'the server logged the same request id');

      const login = await fails(1, ['login', '--oidc-token', '-'], { input: await idToken({ ref: 'refs/heads/evil' }), env: configDir('denied-login') });
      assert.match(login.stderr, /\(invalid_request, request /);
      assert.equal(fs.existsSync(path.join(home, 'denied-login', 'tessera', 'credentials.json')), false);

      // A token used once cannot be exchanged again.
      const once = await idToken();
      remember((await ok(['oidc', 'exchange', '--token', once, '--print'])).trim());
      assert.match((await fails(1, ['oidc', 'exchange', '--token', once, '--print'])).stderr, /\(invalid_request, request /);
    });

    it('bad usage exits 2 before anything is sent; a token that contradicts the flags exits 1', async () => {
      const file = writeFile('usage.jwt', await idToken());
      for (const bad of ['soon', '0', '-5m', '1.5h', '']) {
        const r = await fails(2, ['login', '--oidc-token', `@${file}`, '--oidc-expiration', bad]);
        assert.match(r.stderr, /'--oidc-expiration <duration>' argument '.*' is invalid\. Expected a duration such as 30m, 2h or 1d, or a number of seconds/);
      }
      assert.match((await fails(2, ['oidc', 'exchange', '--token', `@${file}`, '--expiration', 'never'])).stderr, /'--expiration <duration>' argument 'never' is invalid/);
      assert.match((await fails(2, ['login', '--oidc-token', `@${file}`, '--oidc-team', 'platform', '--oidc-user', 'bob'])).stderr, /option '--oidc-team <team>' cannot be used with option '--oidc-user <login>'/);
      assert.match((await fails(2, ['login', '--oidc-token', `@${file}`, '--github'])).stderr, /cannot be used with option '--github'/);
      assert.match((await fails(2, ['login', '--oidc-org', ORG])).stderr, /the --oidc-… options need --oidc-token or --github/);
      assert.match((await fails(2, ['oidc', 'exchange', '--org', ORG])).stderr, /give the ID token with --token <jwt\|@file\|-> or --github/);
      assert.match((await fails(2, ['oidc', 'exchange', '--token', `@${file}`, '--print', '--json'])).stderr, /option '--print' cannot be used with option '--json'/);
      assert.match((await fails(2, ['oidc', 'exchange', '--token', `@${file}`, '--team', 'platform', '--admin'])).stderr, /option '--admin' cannot be used with option '--team <team>'/);
      const noAud = writeFile('no-aud.jwt', await idToken({ aud: 'https://example.com' }));
      assert.match((await fails(2, ['oidc', 'exchange', '--token', `@${noAud}`])).stderr, /no organization: give --org/);

      const other = await fails(1, ['login', '--oidc-token', `@${file}`, '--oidc-org', 'other'], { env: configDir('conflict') });
      assert.match(other.stderr, /^tessera: --oidc-org 'other' disagrees with the token's aud claim, which names 'acme'/);
      assert.match((await fails(1, ['oidc', 'exchange', '--token', 'not-a-jwt'])).stderr, /^tessera: the ID token given with --token is not a JWT/);
      assert.match((await fails(1, ['oidc', 'exchange', '--token', '@/nonexistent/id-token'])).stderr, /cannot read \/nonexistent\/id-token: ENOENT/);
      const envToken = await fails(1, ['login', '--oidc-token', `@${file}`], { env: asAlice() });
      assert.match(envToken.stderr, /TESSERA_TOKEN is set/);
    });

    it('policies test: allowed claims exit 0, a denied token exits 1 with its trace and notes; nothing is minted', async () => {
      const claims = writeFile('claims.json', JSON.stringify({ sub: SUB, repository_id: '123456', ref: 'refs/heads/main' }));
      const allowed = await tessera(['oidc', 'policies', 'test', 'github', '--org', ORG, '--claims', `@${claims}`, '--type', 'organization', '--scope', 'admin'], { env: asAlice() });
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(allowed.stderr, '', 'warnings are printed for a draft only');
      const lines = allowed.stdout.split('\n');
      assert.equal(lines[0], 'decision:    allow');
      assert.equal(lines[1], "description: an allow policy matched the token's claims");
      assert.match(lines[2]!, /^policies: +saved, version \d+$/);
      assert.equal(lines[3], 'trace:');
      assert.deepEqual(lines.slice(4, 6), ['  policy 0  allow  matched', '  policy 3  deny   not matched, rule ref: no_pattern_matched']);

      // A token already exchanged, against a draft whose team policy wants another ref.
      const used = await idToken();
      remember((await ok(['oidc', 'exchange', '--token', used, '--print'])).trim());
      const draft = writeFile('draft.json', JSON.stringify({ policies: [{ ...POLICIES[1], rules: { repository: 'acme/app', ref: 'refs/heads/release' } }] }));
      const denied = await tessera(['oidc', 'policies', 'test', 'github', '--org', ORG, '--file', draft, '--token', '-', '--type', 'team', '--scope', 'team:platform'], {
        input: used,
        env: asAlice(),
      });
      assert.equal(denied.code, 1, denied.stderr);
      assert.match(denied.stdout, /^decision: +deny \(no_allow_policy_matched\)\ndescription: +no allow policy matched the token's claims\ncheck: +policy\npolicies: +the draft from --file\ntrace:\n  policy 0  allow  not matched, rule ref: no_pattern_matched\nnotes:\n  - the subject token has already been exchanged/);
      assert.match(denied.stderr, /^tessera: warning: policy 0: .+ \(sub_unconstrained\)\n$/);

      const json = JSON.parse(
        (await tessera(['oidc', 'policies', 'test', 'github', '--org', ORG, '--claims', '{"sub": "repo:acme/other:ref:refs/heads/main"}', '--type', 'personal', '--scope', 'user:bob', '--json'], { env: asAlice() })).stdout,
      ) as { decision: string; policyVersion: number | null; trace: { policyIndex: number; failedRule?: { claimPath: string } }[] };
      assert.equal(json.decision, 'deny');
      assert.deepEqual(json.trace.map((t) => [t.policyIndex, t.failedRule?.claimPath]), [[2, 'sub']]);

      assert.match((await fails(2, ['oidc', 'policies', 'test', 'github', '--org', ORG, '--type', 'team'], { env: asAlice() })).stderr, /give exactly one of --token and --claims/);
      assert.match((await fails(2, ['oidc', 'policies', 'test', 'github', '--org', ORG, '--claims', '{}', '--token', used, '--type', 'team'], { env: asAlice() })).stderr, /cannot be used with option '--claims/);
      assert.match((await fails(2, ['oidc', 'policies', 'test', 'github', '--org', ORG, '--claims', '{}', '--type', 'robot'], { env: asAlice() })).stderr, /argument 'robot' is invalid\. Allowed choices are organization, team, personal/);
      const badScope = await fails(1, ['oidc', 'policies', 'test', 'github', '--org', ORG, '--claims', '{}', '--type', 'team'], { env: asAlice() });
      assert.match(badScope.stderr, new RegExp(`\\(reason: invalid_request, request id: ${REQUEST_ID}\\)\\n$`));
    });

    it('no ID token or access token reaches the server output', () => {
      const out = server.output();
      assert.ok(out.includes('"path":"/api/oauth/token"'), 'the server logged the exchanges');
      for (const s of [...jwts, ...minted]) assert.ok(!out.includes(s), 'a secret reached the server output');
    });
  });
}

describe('cli oidc', { concurrency: true }, () => {
  for (const kind of databaseKinds()) suite(kind);
});
