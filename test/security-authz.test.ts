import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generateKeyPair, exportJWK } from 'jose';
import { NO_REQUEST } from '../src/domain/deps.js';
import { registerIssuer } from '../src/domain/oidc/register-issuer.js';
import { SYSTEM, type Principal } from '../src/domain/principal.js';
import type { Organization, Team, User } from '../src/domain/records.js';
import { databaseKinds } from './support/databases.js';
import {
  addMember,
  addTeamMember,
  call,
  expectError,
  makeOrg,
  makePerson,
  makeTeam,
  makeToken,
  makeUser,
  startHarness,
  uniqueName,
  type Harness,
} from './support/harness.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Every row of the tables a refusal must leave alone, as one comparable string (NC, "nothing
 * changed"). Audit events are left out: refusals by the permission table are answered, not
 * audited (docs/decisions.md), and lastUsed is only written by the tracker's flush, which tests
 * never run.
 */
async function snapshot(h: Harness): Promise<string> {
  const db = h.services.database.db;
  const out: Record<string, string[]> = {};
  for (const table of ['users', 'organizations', 'org_members', 'teams', 'team_members', 'tokens', 'oidc_issuers', 'auth_policies'] as const) {
    const rows = await db.selectFrom(table as 'users').selectAll().execute();
    out[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return JSON.stringify(out);
}

async function countTokens(h: Harness): Promise<number> {
  const rows = await h.services.database.db.selectFrom('tokens').select('id').execute();
  return rows.length;
}

/** The registered routes, read from Fastify's own route tree so a new route is covered without editing this file. */
function routeTable(app: FastifyInstance): Array<{ method: Method | 'HEAD'; path: string }> {
  const text = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const out: Array<{ method: Method | 'HEAD'; path: string }> = [];
  for (const line of text.split('\n')) {
    // Each level of the tree is indented by four characters ("│   " or "    ") before "├── " / "└── ".
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    if (!m[3]) continue;
    for (const method of m[3].split(',').map((s) => s.trim())) out.push({ method: method as Method, path: stack.join('') });
  }
  return out;
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

for (const kind of databaseKinds()) {
  describe(`security: authorization Z01-Z08 (${kind})`, () => {
    let h: Harness;
    // Organization A: an admin, a plain member, a team maintainer, a team member, and a non-member.
    let admin: { user: User; token: string; principal: Principal };
    let member: { user: User; token: string; principal: Principal };
    let maint: { user: User; token: string; principal: Principal };
    let teamMember: { user: User; token: string; principal: Principal };
    let outsider: { user: User; token: string; principal: Principal };
    let orgA: Organization;
    let teamT: Team;
    let teamT2: Team;
    let orgTokA: { id: string; value: string };
    let orgAdminTokA: { id: string; value: string };
    let teamTokT: { id: string; value: string };
    let teamTokT2: { id: string; value: string };
    // Organization B, to act from outside A.
    let adminB: { user: User; token: string; principal: Principal };
    let orgB: Organization;
    let teamB: Team;
    let orgAdminTokB: { id: string; value: string };
    let orgTokB: { id: string; value: string };
    let teamTokB: { id: string; value: string };

    before(async () => {
      h = await startHarness(kind);
      admin = await makePerson(h);
      member = await makePerson(h);
      maint = await makePerson(h);
      teamMember = await makePerson(h);
      outsider = await makePerson(h);
      orgA = await makeOrg(h, admin.user);
      await addMember(h, orgA, member.user);
      await addMember(h, orgA, maint.user);
      await addMember(h, orgA, teamMember.user);
      teamT = await makeTeam(h, orgA);
      teamT2 = await makeTeam(h, orgA);
      await addTeamMember(h, orgA, teamT, maint.user, 'maintainer');
      await addTeamMember(h, orgA, teamT, teamMember.user, 'member');
      orgTokA = await makeToken(h, admin.principal, { type: 'organization', org: orgA.name }, { name: uniqueName('orgtok') });
      orgAdminTokA = await makeToken(h, admin.principal, { type: 'organization', org: orgA.name }, { name: uniqueName('orgadm'), admin: true });
      teamTokT = await makeToken(h, admin.principal, { type: 'team', org: orgA.name, team: teamT.name }, { name: uniqueName('teamtok') });
      teamTokT2 = await makeToken(h, admin.principal, { type: 'team', org: orgA.name, team: teamT2.name }, { name: uniqueName('teamtok') });

      adminB = await makePerson(h);
      orgB = await makeOrg(h, adminB.user);
      teamB = await makeTeam(h, orgB);
      orgAdminTokB = await makeToken(h, adminB.principal, { type: 'organization', org: orgB.name }, { name: uniqueName('orgadm'), admin: true });
      orgTokB = await makeToken(h, adminB.principal, { type: 'organization', org: orgB.name }, { name: uniqueName('orgtok') });
      teamTokB = await makeToken(h, adminB.principal, { type: 'team', org: orgB.name, team: teamB.name }, { name: uniqueName('teamtok') });
    });
    after(async () => h.close());

    const works = async (token: string) => assert.equal((await call(h, 'GET', '/api/user', { token })).statusCode, 200, 'the token must still work');

    it("Z01: another user's token id is 404 for GET, PATCH and DELETE; the victim's token still works; NC", async () => {
      const attacker = await makePerson(h);
      const victim = await makePerson(h);
      const victimTok = await makeToken(h, victim.principal, { type: 'personal' }, { description: 'victim' });
      const before = await snapshot(h);

      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        expectError(await call(h, method, `/api/user/tokens/${victimTok.id}`, { token: attacker.token, ...(method === 'PATCH' ? { body: { description: 'x' } } : {}) }), 404);
      }
      // The victim's id and an id that does not exist get the same answer: no existence oracle.
      const foreign = await call(h, 'DELETE', `/api/user/tokens/${victimTok.id}`, { token: attacker.token });
      const random = await call(h, 'DELETE', `/api/user/tokens/${randomUUID()}`, { token: attacker.token });
      expectError(foreign, 404, 'token_not_found');
      expectError(random, 404, 'token_not_found');
      assert.equal(foreign.json().message, random.json().message);
      for (const id of ['1', '0', 'not-a-uuid', '..%2F..%2Fetc', "x' or '1'='1", victimTok.id.toUpperCase()]) {
        expectError(await call(h, 'DELETE', `/api/user/tokens/${encodeURIComponent(id)}`, { token: attacker.token }), 404);
      }

      // Ids are checked against the scope named in the URL, not only against the caller.
      const cross: Array<[string, string]> = [
        [`/api/orgs/${orgA.name}/tokens/${teamTokT.id}`, 'a team token through the organization route'],
        [`/api/orgs/${orgA.name}/tokens/${victimTok.id}`, 'a personal token through the organization route'],
        [`/api/orgs/${orgA.name}/tokens/${orgAdminTokB.id}`, "another organization's token"],
        [`/api/orgs/${orgA.name}/teams/${teamT.name}/tokens/${teamTokT2.id}`, "another team's token"],
        [`/api/orgs/${orgA.name}/teams/${teamT.name}/tokens/${orgTokA.id}`, 'an organization token through the team route'],
        [`/api/orgs/${orgA.name}/teams/${teamT.name}/tokens/${teamTokB.id}`, "another organization's team token"],
        [`/api/user/tokens/${orgTokA.id}`, 'an organization token through the personal route'],
        [`/api/user/tokens/${victimTok.id}`, "someone else's personal token, as an organization admin"],
      ];
      for (const [url, what] of cross) {
        const res = await call(h, 'DELETE', url, { token: admin.token });
        assert.equal(res.statusCode, 404, `${what}: ${res.statusCode} ${res.body}`);
      }

      assert.equal(await snapshot(h), before, 'nothing may change');
      await works(victimTok.value);
      await works(victim.token);
      await works(teamTokT.value);
      await works(teamTokT2.value);
      await works(orgTokA.value);
      await works(orgAdminTokB.value);
      await works(teamTokB.value);
    });

    it("Z02: listing with ?user_id=<other> (or similar) returns only the caller's tokens", async () => {
      const caller = await makePerson(h);
      const other = await makePerson(h);
      const otherTok = await makeToken(h, other.principal, { type: 'personal' });
      const callerTok = await makeToken(h, caller.principal, { type: 'personal' });
      const own = await call(h, 'GET', '/api/user/tokens?filter=all', { token: caller.token });
      assert.equal(own.statusCode, 200, own.body);
      const ownIds = (own.json().tokens as Array<{ id: string }>).map((t) => t.id).sort();
      assert.ok(ownIds.includes(callerTok.id));

      const queries = [
        `user_id=${other.user.id}`,
        `userId=${other.user.id}`,
        `user=${other.user.login}`,
        `login=${other.user.login}`,
        `owner=${other.user.id}`,
        `user_id=${other.user.id}&user_id=${caller.user.id}`,
        `user_id[]=${other.user.id}`,
        `org=${orgA.name}`,
        `type=organization`,
      ];
      for (const q of queries) {
        const res = await call(h, 'GET', `/api/user/tokens?filter=all&${q}`, { token: caller.token });
        // Unknown query parameters are ignored (never an error, never a filter).
        assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
        const tokens = res.json().tokens as Array<{ id: string; type: string }>;
        assert.deepEqual(tokens.map((t) => t.id).sort(), ownIds, q);
        assert.ok(!res.body.includes(otherTok.id), `${q} leaked another user's token`);
        for (const t of tokens) assert.equal(t.type, 'personal');
      }
    });

    it('Z03: members who are not admins or maintainers get 403, non-members get 404, maintainers manage their own team only; NC', async () => {
      const orgTokens = `/api/orgs/${orgA.name}/tokens`;
      const teamTokens = `/api/orgs/${orgA.name}/teams/${teamT.name}/tokens`;
      const team2Tokens = `/api/orgs/${orgA.name}/teams/${teamT2.name}/tokens`;
      const before = await snapshot(h);

      // A plain member: no organization tokens, no team tokens.
      for (const who of [member, teamMember, maint]) {
        expectError(await call(h, 'POST', orgTokens, { token: who.token, body: { name: uniqueName('o') } }), 403, 'forbidden');
        expectError(await call(h, 'POST', orgTokens, { token: who.token, body: { name: uniqueName('o'), admin: true } }), 403, 'forbidden');
        expectError(await call(h, 'GET', orgTokens, { token: who.token }), 403, 'forbidden');
        expectError(await call(h, 'DELETE', `${orgTokens}/${orgTokA.id}`, { token: who.token }), 403, 'forbidden');
      }
      // Members of the organization who do not maintain the team.
      for (const who of [member, teamMember]) {
        expectError(await call(h, 'POST', teamTokens, { token: who.token, body: { name: uniqueName('t') } }), 403, 'forbidden');
        expectError(await call(h, 'GET', teamTokens, { token: who.token }), 403, 'forbidden');
        expectError(await call(h, 'DELETE', `${teamTokens}/${teamTokT.id}`, { token: who.token }), 403, 'forbidden');
      }
      // A maintainer of T does not maintain T2.
      expectError(await call(h, 'POST', team2Tokens, { token: maint.token, body: { name: uniqueName('t') } }), 403, 'forbidden');
      expectError(await call(h, 'GET', team2Tokens, { token: maint.token }), 403, 'forbidden');
      expectError(await call(h, 'DELETE', `${team2Tokens}/${teamTokT2.id}`, { token: maint.token }), 403, 'forbidden');

      // A non-member gets 404 for everything, exactly as for an organization that does not exist.
      const ghost = uniqueName('ghost');
      const pairs: Array<[Method, string, string, unknown]> = [
        ['POST', orgTokens, `/api/orgs/${ghost}/tokens`, { name: uniqueName('o') }],
        ['GET', orgTokens, `/api/orgs/${ghost}/tokens`, undefined],
        ['DELETE', `${orgTokens}/${orgTokA.id}`, `/api/orgs/${ghost}/tokens/${orgTokA.id}`, undefined],
        ['POST', teamTokens, `/api/orgs/${ghost}/teams/${teamT.name}/tokens`, { name: uniqueName('t') }],
        ['GET', teamTokens, `/api/orgs/${ghost}/teams/${teamT.name}/tokens`, undefined],
        ['DELETE', `${teamTokens}/${teamTokT.id}`, `/api/orgs/${ghost}/teams/${teamT.name}/tokens/${teamTokT.id}`, undefined],
        ['GET', `/api/orgs/${orgA.name}/teams/${uniqueName('noteam')}/tokens`, `/api/orgs/${ghost}/teams/${uniqueName('noteam')}/tokens`, undefined],
      ];
      for (const [method, real, missing, body] of pairs) {
        const a = await call(h, method, real, { token: outsider.token, ...(body === undefined ? {} : { body }) });
        const b = await call(h, method, missing, { token: outsider.token, ...(body === undefined ? {} : { body }) });
        expectError(a, 404, 'org_not_found');
        expectError(b, 404, 'org_not_found');
        // The same message but for the name the caller typed.
        assert.equal(a.json().message.replace(orgA.name, '<org>'), b.json().message.replace(ghost, '<org>'));
      }
      assert.equal(await snapshot(h), before, 'refusals change nothing');

      // The maintainer may manage their own team's tokens.
      const created = await call(h, 'POST', teamTokens, { token: maint.token, body: { name: uniqueName('m'), description: 'by maintainer' } });
      assert.equal(created.statusCode, 200, created.body);
      const { id, tokenValue } = created.json() as { id: string; tokenValue: string };
      const list = await call(h, 'GET', teamTokens, { token: maint.token });
      assert.equal(list.statusCode, 200);
      assert.ok((list.json().tokens as Array<{ id: string }>).some((t) => t.id === id));
      const me = await call(h, 'GET', '/api/user', { token: tokenValue });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().tokenInfo.team, teamT.name);
      assert.equal((await call(h, 'DELETE', `${teamTokens}/${id}`, { token: maint.token })).statusCode, 204);
      expectError(await call(h, 'GET', '/api/user', { token: tokenValue }), 401, 'token_revoked');
    });

    it('Z04: organization and team tokens cannot mint tokens broader than themselves', async () => {
      const before = await snapshot(h);
      const orgTokens = `/api/orgs/${orgA.name}/tokens`;
      const teamTokens = `/api/orgs/${orgA.name}/teams/${teamT.name}/tokens`;
      // No organization or team token manages personal tokens.
      for (const t of [orgTokA, orgAdminTokA, teamTokT]) {
        expectError(await call(h, 'POST', '/api/user/tokens', { token: t.value, body: {} }), 403, 'forbidden');
        expectError(await call(h, 'GET', '/api/user/tokens', { token: t.value }), 403, 'forbidden');
        expectError(await call(h, 'DELETE', `/api/user/tokens/${randomUUID()}`, { token: t.value }), 403, 'forbidden');
      }
      // An admin organization token cannot create or delete organization tokens (it could mint its own successor).
      expectError(await call(h, 'POST', orgTokens, { token: orgAdminTokA.value, body: { name: uniqueName('o'), admin: true } }), 403, 'forbidden');
      expectError(await call(h, 'POST', orgTokens, { token: orgAdminTokA.value, body: { name: uniqueName('o') } }), 403, 'forbidden');
      expectError(await call(h, 'DELETE', `${orgTokens}/${orgTokA.id}`, { token: orgAdminTokA.value }), 403, 'forbidden');
      // A non-admin organization token: nothing.
      expectError(await call(h, 'POST', orgTokens, { token: orgTokA.value, body: { name: uniqueName('o') } }), 403, 'forbidden');
      expectError(await call(h, 'GET', orgTokens, { token: orgTokA.value }), 403, 'forbidden');
      expectError(await call(h, 'POST', teamTokens, { token: orgTokA.value, body: { name: uniqueName('t') } }), 403, 'forbidden');
      expectError(await call(h, 'GET', teamTokens, { token: orgTokA.value }), 403, 'forbidden');
      // A team token cannot create tokens, not even for its own team.
      expectError(await call(h, 'POST', teamTokens, { token: teamTokT.value, body: { name: uniqueName('t') } }), 403, 'forbidden');
      expectError(await call(h, 'POST', orgTokens, { token: teamTokT.value, body: { name: uniqueName('o') } }), 403, 'forbidden');
      expectError(await call(h, 'GET', teamTokens, { token: teamTokT.value }), 403, 'forbidden');
      expectError(await call(h, 'DELETE', `${teamTokens}/${teamTokT.id}`, { token: teamTokT.value }), 403, 'forbidden');
      assert.equal(await snapshot(h), before, 'refusals change nothing');

      // What an admin organization token may do: list organization tokens, manage team tokens.
      const list = await call(h, 'GET', orgTokens, { token: orgAdminTokA.value });
      assert.equal(list.statusCode, 200, list.body);
      assert.ok((list.json().tokens as Array<{ id: string }>).some((t) => t.id === orgTokA.id));
      const created = await call(h, 'POST', teamTokens, { token: orgAdminTokA.value, body: { name: uniqueName('a') } });
      assert.equal(created.statusCode, 200, created.body);
      const { id, tokenValue } = created.json() as { id: string; tokenValue: string };
      const teamList = await call(h, 'GET', teamTokens, { token: orgAdminTokA.value });
      assert.equal(teamList.statusCode, 200);
      const row = (teamList.json().tokens as Array<{ id: string; admin: boolean; type: string; createdBy: string }>).find((t) => t.id === id);
      assert.ok(row);
      assert.equal(row.type, 'team');
      assert.equal(row.admin, false, 'a team token is never an admin token');
      // The minted team token is no broader than a team token: it cannot mint either.
      expectError(await call(h, 'POST', teamTokens, { token: tokenValue, body: { name: uniqueName('t') } }), 403, 'forbidden');
      assert.equal((await call(h, 'DELETE', `${teamTokens}/${id}`, { token: orgAdminTokA.value })).statusCode, 204);
      // An admin token of another organization is a stranger here.
      expectError(await call(h, 'POST', teamTokens, { token: orgAdminTokB.value, body: { name: uniqueName('t') } }), 404, 'org_not_found');
      expectError(await call(h, 'GET', orgTokens, { token: orgAdminTokB.value }), 404, 'org_not_found');
    });

    it('Z05: non-admin organization and team tokens (token or Bearer scheme) get 403 on every write route, Basic is never accepted, tokens of another organization get 404; NC, no audit event', async () => {
      const routes = routeTable(h.app);
      // Sign-in, sign-out and first-run setup take no token at all (test/sessions-api.test.ts and
      // test/accounts-api.test.ts cover them), nor does token exchange, whose credential is the
      // subject token (test/oidc-exchange.test.ts); every other write route is about authority.
      const PUBLIC = new Set(['POST /api/session', 'DELETE /api/session', 'POST /api/setup', 'POST /api/oauth/token']);
      const writes = routes.filter((r) => WRITE.has(r.method) && r.path.startsWith('/api/') && !PUBLIC.has(`${r.method} ${r.path}`));
      // The table was really read: at least the routes of API.md sections 4 and 5.
      for (const [m, p] of [
        ['POST', '/api/user/tokens'],
        ['DELETE', '/api/user/tokens/:tokenId'],
        ['POST', '/api/orgs/:org/tokens'],
        ['DELETE', '/api/orgs/:org/tokens/:tokenId'],
        ['POST', '/api/orgs/:org/teams/:team/tokens'],
        ['DELETE', '/api/orgs/:org/teams/:team/tokens/:tokenId'],
        ['PUT', '/api/orgs/:org/members/:login'],
        ['DELETE', '/api/orgs/:org/members/:login'],
        ['POST', '/api/orgs/:org/teams'],
        ['DELETE', '/api/orgs/:org/teams/:team'],
        ['PUT', '/api/orgs/:org/teams/:team/members/:login'],
        ['DELETE', '/api/orgs/:org/teams/:team/members/:login'],
        ['POST', '/api/orgs'],
      ]) {
        assert.ok(writes.some((r) => r.method === m && r.path === p), `route table misses ${m} ${p}`);
      }

      const victimPersonal = await makeToken(h, member.principal, { type: 'personal' });
      // An issuer of organization A with a static key set (registered without any fetch), so the
      // issuer and policy routes are tried against something that exists.
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      const issuerA = await registerIssuer(h.deps, NO_REQUEST, SYSTEM, orgA.name, {
        name: 'z05',
        url: 'https://93.184.216.34/z05',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'z05' }] },
      });
      const fill = (path: string): string =>
        path.replace(/:(\w+)/g, (_, name: string) => {
          switch (name) {
            case 'org':
              return orgA.name;
            case 'team':
              return teamT.name;
            case 'login':
              return member.user.login;
            case 'issuerId':
              return issuerA.issuer.id;
            case 'policyId':
              return issuerA.policy.id;
            case 'invitationId':
              return '00000000-0000-4000-8000-000000000000';
            case 'tokenId':
              if (path.startsWith('/api/user/')) return victimPersonal.id;
              return path.includes('/teams/') ? teamTokT.id : orgTokA.id;
            default:
              throw new Error(`Z05: no value for route parameter :${name} in ${path}; add one so the route is covered`);
          }
        });
      // Bodies that pass validation, so the answer is about authority and not about the body.
      // The member and team-member bodies try to escalate (admin, maintainer).
      const bodyFor = (method: string, path: string): unknown => {
        if (method === 'DELETE') return undefined;
        if (path === '/api/orgs') return { name: uniqueName('org') };
        if (path.endsWith('/tokens')) return path.startsWith('/api/user/') ? { description: 'z05' } : { name: uniqueName('z05') };
        if (path.endsWith('/teams')) return { name: uniqueName('team') };
        if (path.endsWith('/teams/:team/members/:login')) return { role: 'maintainer' };
        if (path.endsWith('/members/:login')) return { role: 'admin' };
        if (path === '/api/orgs/:org/oidc/issuers') return { name: uniqueName('z05'), url: 'https://93.184.216.34/other' };
        if (path === '/api/orgs/:org/oidc/issuers/:issuerId') return { name: 'renamed' };
        if (path === '/api/orgs/:org/auth/policies/:policyId') return { policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: ['admin'], rules: { sub: '*' } }] };
        if (path === '/api/orgs/:org/oidc/issuers/:issuerId/policies/test') return { requestedTokenType: 'organization', claims: { sub: 'x' } };
        if (path === '/api/user/password') return { currentPassword: 'not-the-password', newPassword: 'a-new-password' };
        if (path === '/api/users') return { login: uniqueName('z05'), email: 'z05@example.com', siteAdmin: true };
        if (path === '/api/users/:login/password') return { password: 'a-new-password' };
        if (path === '/api/users/:login/disabled') return { disabled: true };
        return {};
      };

      const before = await snapshot(h);
      const attempt = async (token: string, method: Method, path: string) =>
        call(h, method, fill(path), { token, ...(bodyFor(method, path) === undefined ? {} : { body: bodyFor(method, path) }) });

      // The same tokens through the Bearer scheme, and a Basic header carrying an admin token (not an
      // auth path of Tessera: never accepted, whatever it carries).
      const attemptWith = async (authorization: string, method: Method, path: string) =>
        call(h, method, fill(path), { headers: { authorization }, ...(bodyFor(method, path) === undefined ? {} : { body: bodyFor(method, path) }) });
      const basic = (value: string) => `Basic ${Buffer.from(`${admin.user.login}:${value}`).toString('base64')}`;
      const auditBefore = (await h.deps.store.listAudit(null, 100_000)).length;

      const failures: string[] = [];
      const check = (res: LightMyRequestResponse, expected: number, who: string, method: string, path: string) => {
        if (res.statusCode !== expected) {
          const hint = res.statusCode === 400 ? ' (a new route? give it a valid body in bodyFor, so the answer is about authority)' : '';
          failures.push(`${who} ${method} ${path}: expected ${expected}, got ${res.statusCode} ${res.body.slice(0, 120)}${hint}`);
        }
        else expectError(res, expected);
      };
      for (const r of writes) {
        const method = r.method as Method;
        // Inside organization A, with member rights at most.
        check(await attempt(orgTokA.value, method, r.path), 403, 'non-admin org token', method, r.path);
        check(await attempt(teamTokT.value, method, r.path), 403, 'team token', method, r.path);
        check(await attemptWith(`Bearer ${orgTokA.value}`, method, r.path), 403, 'non-admin org token (Bearer)', method, r.path);
        check(await attemptWith(`bearer ${teamTokT.value}`, method, r.path), 403, 'team token (bearer)', method, r.path);
        check(await attemptWith(basic(orgAdminTokA.value), method, r.path), 401, 'Basic with an admin org token', method, r.path);
        check(await attemptWith(basic(admin.token), method, r.path), 401, "Basic with an admin's personal token", method, r.path);
        // From organization B: routes of A do not exist for them; the others are still refused.
        const expected = r.path.includes(':org') ? 404 : 403;
        for (const [who, t] of [
          ['org B admin token', orgAdminTokB],
          ['org B token', orgTokB],
          ['org B team token', teamTokB],
        ] as const) {
          check(await attempt(t.value, method, r.path), expected, who, method, r.path);
        }
      }
      // Reading routes of A from B: 404 too, not 403, not 200.
      for (const r of routes.filter((x) => x.method === 'GET' && x.path.startsWith('/api/orgs/:org'))) {
        for (const t of [orgAdminTokB, orgTokB, teamTokB]) check(await attempt(t.value, 'GET', r.path), 404, 'org B token', 'GET', r.path);
      }
      assert.deepEqual(failures, []);
      assert.equal(await snapshot(h), before, 'refusals change nothing');
      // docs/decisions.md: permission refusals are logged with their reason, not audited.
      assert.equal((await h.deps.store.listAudit(null, 100_000)).length, auditBefore, 'no audit event written by a refusal');
      await works(orgTokA.value);
      await works(victimPersonal.value);
    });

    it('Z06: mass assignment: unexpected fields in token bodies are 400 and nothing is created', async () => {
      const before = await snapshot(h);
      const now = h.clock.nowSec();
      const foreign: Record<string, unknown> = {
        user_id: outsider.user.id,
        userId: outsider.user.id,
        team_id: teamB.id,
        teamId: teamB.id,
        org_id: orgB.id,
        orgId: orgB.id,
        scopes: ['admin'],
        scope: 'admin',
        created: now - 86400,
        createdAt: 0,
        created_at: 0,
        revoked: false,
        revokedAt: 0,
        revoked_at: 0,
        id: randomUUID(),
        tokenValue: 'tsrp_0000000000000000000000000000000000000',
        token_hash: '0'.repeat(64),
        tokenHash: '0'.repeat(64),
        type: 'organization',
        source: 'oidc',
        createdBy: admin.user.login,
        status: 'active',
        lastUsed: now,
        displayValue: 'x',
        role: 'admin',
        siteAdmin: true,
      };
      const cases: Array<[string, string, Record<string, unknown>]> = [
        [admin.token, '/api/user/tokens', { description: 'z06' }],
        [admin.token, `/api/orgs/${orgA.name}/tokens`, { name: uniqueName('z06') }],
        [admin.token, `/api/orgs/${orgA.name}/teams/${teamT.name}/tokens`, { name: uniqueName('z06') }],
        [maint.token, `/api/orgs/${orgA.name}/teams/${teamT.name}/tokens`, { name: uniqueName('z06') }],
      ];
      for (const [token, url, base] of cases) {
        for (const [field, value] of Object.entries(foreign)) {
          const res = await call(h, 'POST', url, { token, body: { ...base, [field]: value } });
          const body = expectError(res, 400, 'invalid_request');
          assert.ok(body.message.includes(field), `the message names the field: ${body.message}`);
        }
      }
      // admin applies to organization tokens only; as a personal or team field it is an unknown field.
      for (const [token, url, base] of [cases[0]!, cases[2]!, cases[3]!]) {
        expectError(await call(h, 'POST', url, { token, body: { ...base, admin: true } }), 400, 'invalid_request');
      }
      // No coercion: "true" is not true, a nested operator object is not an expiry.
      expectError(await call(h, 'POST', `/api/orgs/${orgA.name}/tokens`, { token: admin.token, body: { name: uniqueName('z'), admin: 'true' } }), 400);
      expectError(await call(h, 'POST', '/api/user/tokens', { token: admin.token, body: { expires: { $gt: 0 } } }), 400);
      expectError(await call(h, 'POST', '/api/user/tokens', { token: admin.token, body: { description: ['a'] } }), 400);
      // Prototype poisoning is refused outright, and pollutes nothing.
      for (const raw of ['{"__proto__":{"admin":true},"name":"pp1"}', '{"constructor":{"prototype":{"admin":true}},"name":"pp2"}', '{"name":"pp3","__proto__":{"type":"organization"}}']) {
        const res = await call(h, 'POST', `/api/orgs/${orgA.name}/teams/${teamT.name}/tokens`, { token: admin.token, body: raw, headers: { 'content-type': 'application/json' } });
        expectError(res, 400);
      }
      assert.equal(({} as Record<string, unknown>).admin, undefined);
      assert.equal(await snapshot(h), before, 'nothing was created or changed');
    });

    it('Z08: expires: past, now, 100 years ahead, beyond the maximum, and garbage are 400; ISO strings and unix seconds are accepted', async () => {
      const now = h.clock.nowSec();
      const max = h.deps.config.maxTokenLifetimeSeconds;
      const before = await countTokens(h);
      const bad: unknown[] = [
        now - 1,
        now,
        1,
        now + 100 * 365 * 86400,
        now + max + 1,
        now * 1000, // milliseconds by mistake: far beyond the maximum
        Number.MAX_SAFE_INTEGER,
        1e300,
        now + 0.5,
        1.5,
        -1,
        -now,
        'tomorrow',
        '',
        ' ',
        'NaN',
        'Infinity',
        '1e10',
        '0x7fffffff',
        `${now + 3600}.5`,
        '-1',
        '2020-01-01T00:00:00Z',
        '2126-01-01T00:00:00Z',
        '2027-13-01T00:00:00Z',
        '2027-01-32',
        '2027-01-01T25:00:00Z',
        '2027-01-01T00:00:00+25:00',
        // Impossible calendar dates must not roll over into the next month (a longer lifetime than asked).
        '2027-02-30',
        '2027-02-29T00:00:00Z',
        '2027-04-31T12:00:00Z',
        true,
        false,
        {},
        [],
        [now + 3600],
      ];
      for (const expires of bad) {
        const res = await call(h, 'POST', '/api/user/tokens', { token: admin.token, body: { expires } });
        const body = expectError(res, 400);
        assert.ok(['expires_invalid', 'invalid_request'].includes(body.reason), `${JSON.stringify(expires)}: ${body.reason}`);
      }
      // The same rule for organization and team tokens.
      for (const url of [`/api/orgs/${orgA.name}/tokens`, `/api/orgs/${orgA.name}/teams/${teamT.name}/tokens`]) {
        for (const expires of [now - 1, now + 100 * 365 * 86400, '2000-01-01T00:00:00Z']) {
          expectError(await call(h, 'POST', url, { token: admin.token, body: { name: uniqueName('z08'), expires } }), 400, 'expires_invalid');
        }
      }
      assert.equal(await countTokens(h), before, 'no token was created by a refused request');

      // Accepted forms, each stored as the unix second it names.
      const good: Array<[unknown, number]> = [
        [now + 1, now + 1],
        [now + 3600, now + 3600],
        [now + max, now + max],
        [String(now + 7200), now + 7200],
        ['2027-01-01T00:00:00Z', Date.UTC(2027, 0, 1) / 1000],
        ['2027-01-01T00:00:00.999Z', Date.UTC(2027, 0, 1) / 1000],
        ['2027-01-01T02:00:00+02:00', Date.UTC(2027, 0, 1) / 1000],
        ['2027-01-01T00:00:00-0530', Date.UTC(2027, 0, 1, 5, 30) / 1000],
        ['2027-01-01', Date.UTC(2027, 0, 1) / 1000],
        ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29) / 1000], // a real leap day
      ];
      for (const [expires, stored] of good) {
        const res = await call(h, 'POST', '/api/user/tokens', { token: admin.token, body: { expires } });
        assert.equal(res.statusCode, 200, `${JSON.stringify(expires)}: ${res.body}`);
        const { id } = res.json() as { id: string };
        const row = await h.deps.store.findToken(id);
        assert.equal(row?.expires, stored, JSON.stringify(expires));
      }
      // Absent, 0 and null mean "never" on a server that does not require an expiry.
      for (const body of [{}, { expires: 0 }, { expires: null }]) {
        const res = await call(h, 'POST', '/api/user/tokens', { token: admin.token, body });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal((await h.deps.store.findToken((res.json() as { id: string }).id))?.expires, 0);
      }
    });

    it('Z08: a date-time without an offset is UTC, whatever the server time zone', async () => {
      const saved = process.env.TZ;
      try {
        for (const tz of ['America/New_York', 'Asia/Kolkata', 'UTC']) {
          process.env.TZ = tz;
          for (const text of ['2027-01-01T00:00:00', '2027-01-01T00:00', '2027-01-01 00:00:00']) {
            const res = await call(h, 'POST', '/api/user/tokens', { token: admin.token, body: { expires: text } });
            assert.equal(res.statusCode, 200, res.body);
            const row = await h.deps.store.findToken((res.json() as { id: string }).id);
            assert.equal(row?.expires, Date.UTC(2027, 0, 1) / 1000, `${text} under TZ=${tz}`);
          }
        }
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    });

    it('Z08: the configured maximum lifetime and required expiry are enforced', async () => {
      const short = await startHarness(kind, { maxTokenLifetimeSeconds: 86400 });
      try {
        const p = await makePerson(short);
        const now = short.clock.nowSec();
        const post = (expires: unknown) => call(short, 'POST', '/api/user/tokens', { token: p.token, body: expires === undefined ? {} : { expires } });
        assert.equal((await post(now + 86400)).statusCode, 200);
        const over = expectError(await post(now + 86401), 400, 'expires_invalid');
        assert.match(over.message, /at most 1 days?/);
        expectError(await post(new Date((now + 2 * 86400) * 1000).toISOString()), 400, 'expires_invalid');
        expectError(await post(now + 365 * 86400), 400, 'expires_invalid');
        // API.md section 4: the maximum bounds an expiry that is given; absent still means never
        // unless the server also requires an expiry.
        assert.equal((await post(undefined)).statusCode, 200);
      } finally {
        await short.close();
      }

      const strict = await startHarness(kind, { requireTokenExpiry: true });
      try {
        // makePerson would issue a token without expiry, which this server refuses.
        const now = strict.clock.nowSec();
        const user = await makeUser(strict);
        const principal: Principal = { kind: 'user', user, token: null };
        const owner = { user, token: (await makeToken(strict, principal, { type: 'personal' }, { expires: now + 86400 })).value };
        const org = await makeOrg(strict, owner.user);
        const team = await makeTeam(strict, org);
        const before = await countTokens(strict);
        const urls: Array<[string, Record<string, unknown>]> = [
          ['/api/user/tokens', {}],
          [`/api/orgs/${org.name}/tokens`, { name: uniqueName('s') }],
          [`/api/orgs/${org.name}/teams/${team.name}/tokens`, { name: uniqueName('s') }],
        ];
        for (const [url, base] of urls) {
          for (const extra of [{}, { expires: 0 }, { expires: null }, { expires: '0' }]) {
            const body = expectError(await call(strict, 'POST', url, { token: owner.token, body: { ...base, ...extra } }), 400, 'expires_invalid');
            assert.match(body.message, /expiry/);
          }
        }
        assert.equal(await countTokens(strict), before);
        for (const [url, base] of urls) {
          const res = await call(strict, 'POST', url, { token: owner.token, body: { ...base, expires: now + 3600 } });
          assert.equal(res.statusCode, 200, res.body);
        }
      } finally {
        await strict.close();
      }
    });
  });
}
