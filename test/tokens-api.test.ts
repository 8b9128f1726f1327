import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { components } from '../src/generated/openapi.js';
import { databaseKinds } from './support/databases.js';
import { addMember, addTeamMember, call, expectError, makeOrg, makePerson, makeTeam, makeToken, startHarness, type Harness } from './support/harness.js';

type WireToken = components['schemas']['AccessToken'];

for (const kind of databaseKinds()) {
  describe(`token API (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h.close());

    it('creates a personal token: value format, shape of the listing, expiry as ISO string', async () => {
      const { token, user } = await makePerson(h);
      const iso = new Date((h.clock.nowSec() + 86400) * 1000).toISOString();
      const res = await call(h, 'POST', '/api/user/tokens', { token, body: { description: 'Short-lived token for CI', expires: iso } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const { id, tokenValue } = res.json();
      assert.match(tokenValue, /^tsrp_[0-9A-Za-z]{38}$/);
      const list = await call(h, 'GET', '/api/user/tokens', { token });
      const listed = (list.json().tokens as WireToken[]).find((t) => t.id === id)!;
      assert.deepEqual(
        { ...listed, created: typeof listed.created },
        {
          id,
          name: '',
          description: 'Short-lived token for CI',
          created: 'string',
          lastUsed: 0,
          expires: h.clock.nowSec() + 86400,
          admin: false,
          createdBy: user.login,
          type: 'personal',
          status: 'active',
          displayValue: `tsrp_…${tokenValue.slice(-4)}`,
          source: 'api',
          revokedAt: 0,
        },
      );
      assert.equal(listed.created, new Date(h.clock.now()).toISOString());
      assert.ok(!list.body.includes(tokenValue), 'a listing never contains a token value');
    });

    it('accepts Accept headers of Pulumi clients and empty create bodies', async () => {
      const { token } = await makePerson(h);
      for (const accept of ['application/vnd.pulumi+8', 'application/vnd.pulumi+9', '*/*']) {
        assert.equal((await call(h, 'GET', '/api/user', { token, headers: { accept } })).statusCode, 200);
      }
      const bare = await h.app.inject({ method: 'POST', url: '/api/user/tokens', headers: { authorization: `token ${token}` } });
      assert.equal(bare.statusCode, 200, bare.body);
      h.secrets.add(bare.json().tokenValue);
      const res = await call(h, 'POST', '/api/user/tokens', { token, body: {} });
      assert.equal(res.statusCode, 200, res.body);
      const list = (await call(h, 'GET', '/api/user/tokens', { token })).json().tokens as WireToken[];
      assert.equal(list.find((t) => t.id === res.json().id)!.expires, 0, 'absent expires means never');
    });

    it('GET /api/user describes people, organization tokens and team tokens', async () => {
      const alice = await makePerson(h);
      const org = await makeOrg(h, alice.user);
      const team = await makeTeam(h, org);
      const me = (await call(h, 'GET', '/api/user', { token: alice.token })).json();
      assert.equal(me.githubLogin, alice.user.login);
      assert.deepEqual(me.organizations, [{ name: org.name, githubLogin: org.name, avatarUrl: '', role: 'admin' }]);
      assert.deepEqual(me.identities, []);
      assert.equal(me.hasMFA, false);
      assert.equal(me.token.type, 'personal');
      assert.equal(me.tokenInfo, undefined);

      const orgToken = await makeToken(h, alice.principal, { type: 'organization', org: org.name }, { name: 'deploy', admin: true, expires: h.clock.nowSec() + 60 });
      const asOrg = (await call(h, 'GET', '/api/user', { token: orgToken.value })).json();
      assert.equal(asOrg.githubLogin, org.name);
      assert.deepEqual(asOrg.tokenInfo, { name: 'deploy', organization: org.name, team: '' });
      assert.deepEqual(asOrg.token, { id: orgToken.id, type: 'organization', expires: h.clock.nowSec() + 60 });
      assert.equal(asOrg.organizations[0].role, 'admin');

      const teamToken = await makeToken(h, alice.principal, { type: 'team', org: org.name, team: team.name }, { name: 'ci' });
      const asTeam = (await call(h, 'GET', '/api/user', { token: teamToken.value })).json();
      assert.deepEqual(asTeam.tokenInfo, { name: 'ci', organization: org.name, team: team.name });
      assert.equal(asTeam.organizations[0].role, 'member');
    });

    it('paginates newest first with continuationToken across pages, for every filter', async () => {
      const { token, principal } = await makePerson(h);
      h.clock.advance(1);
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push((await makeToken(h, principal, { type: 'personal' }, { description: `t${i}`, expires: i % 2 === 0 ? h.clock.nowSec() + 10 : 0 })).id);
        h.clock.advance(1); // distinct creation instants are not required, but make the order obvious
      }
      ids.push((await makeToken(h, principal, { type: 'personal' })).id); // same millisecond as nothing else
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await call(h, 'GET', `/api/user/tokens?maxResults=3${cursor ? `&continuationToken=${encodeURIComponent(cursor)}` : ''}`, { token });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as { tokens: WireToken[]; continuationToken?: string };
        assert.ok(body.tokens.length <= 3);
        seen.push(...body.tokens.map((t) => t.id));
        cursor = body.continuationToken;
        pages++;
      } while (cursor);
      // The person's own first token (from makePerson) is older than all of these.
      assert.deepEqual(seen.slice(0, ids.length), [...ids].reverse());
      assert.equal(pages, 3);
      assert.equal(new Set(seen).size, seen.length, 'no token appears twice');

      h.clock.advance(20_000); // the even-numbered ones expire
      const active = (await call(h, 'GET', '/api/user/tokens', { token })).json().tokens as WireToken[];
      const expired = (await call(h, 'GET', '/api/user/tokens?filter=expired', { token })).json().tokens as WireToken[];
      const all = (await call(h, 'GET', '/api/user/tokens?filter=all', { token })).json().tokens as WireToken[];
      assert.equal(expired.length, 4);
      assert.ok(expired.every((t) => t.status === 'expired'));
      assert.ok(active.every((t) => t.status === 'active'));
      assert.equal(all.length, active.length + expired.length);
      const legacy = (await call(h, 'GET', '/api/user/tokens?show_expired=true', { token })).json().tokens as WireToken[];
      assert.equal(legacy.length, all.length);
      await call(h, 'DELETE', `/api/user/tokens/${ids[1]}`, { token });
      const afterDelete = (await call(h, 'GET', '/api/user/tokens?filter=all', { token })).json().tokens as WireToken[];
      const revoked = afterDelete.find((t) => t.id === ids[1])!;
      assert.equal(revoked.status, 'revoked');
      assert.equal(revoked.revokedAt, h.clock.nowSec());
      assert.ok(!((await call(h, 'GET', '/api/user/tokens', { token })).json().tokens as WireToken[]).some((t) => t.id === ids[1]));
    });

    it('refuses bad list parameters in the error shape', async () => {
      const { token } = await makePerson(h);
      expectError(await call(h, 'GET', '/api/user/tokens?maxResults=0', { token }), 400, 'invalid_request');
      expectError(await call(h, 'GET', '/api/user/tokens?maxResults=1001', { token }), 400, 'invalid_request');
      expectError(await call(h, 'GET', '/api/user/tokens?filter=bogus', { token }), 400, 'invalid_request');
      expectError(await call(h, 'GET', '/api/user/tokens?continuationToken=not-ours', { token }), 400, 'continuation_token_invalid');
    });

    it('organization and team tokens: names unique across the organization, deleted ones included', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const team = await makeTeam(h, org);
      const created = await call(h, 'POST', `/api/orgs/${org.name}/tokens`, { token: admin.token, body: { name: 'deploy', description: 'prod', admin: true } });
      assert.equal(created.statusCode, 200, created.body);
      assert.match(created.json().tokenValue, /^tsro_/);
      expectError(await call(h, 'POST', `/api/orgs/${org.name}/teams/${team.name}/tokens`, { token: admin.token, body: { name: 'deploy' } }), 409, 'token_name_taken');
      assert.equal((await call(h, 'DELETE', `/api/orgs/${org.name}/tokens/${created.json().id}`, { token: admin.token })).statusCode, 204);
      expectError(await call(h, 'POST', `/api/orgs/${org.name}/tokens`, { token: admin.token, body: { name: 'deploy' } }), 409, 'token_name_taken');
      const teamToken = await call(h, 'POST', `/api/orgs/${org.name}/teams/${team.name}/tokens`, { token: admin.token, body: { name: 'ci-2', expires: h.clock.nowSec() + 3600 } });
      assert.equal(teamToken.statusCode, 200, teamToken.body);
      assert.match(teamToken.json().tokenValue, /^tsrt_/);
      const other = await makeOrg(h, admin.user);
      assert.equal((await call(h, 'POST', `/api/orgs/${other.name}/tokens`, { token: admin.token, body: { name: 'deploy' } })).statusCode, 200, 'names are per organization');
      for (const bad of ['', 'has space', 'x'.repeat(41), 'dot.ted']) {
        const res = await call(h, 'POST', `/api/orgs/${org.name}/tokens`, { token: admin.token, body: { name: bad } });
        assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
      }
      const list = (await call(h, 'GET', `/api/orgs/${org.name}/teams/${team.name}/tokens`, { token: admin.token })).json().tokens as WireToken[];
      assert.deepEqual(list.map((t) => [t.name, t.type, t.createdBy]), [['ci-2', 'team', admin.user.login]]);
    });

    it('the permission table of API.md section 5', async () => {
      const admin = await makePerson(h);
      const member = await makePerson(h);
      const maintainer = await makePerson(h);
      const outsider = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      await addMember(h, org, member.user);
      await addMember(h, org, maintainer.user);
      const team = await makeTeam(h, org);
      await addTeamMember(h, org, team, maintainer.user, 'maintainer');
      await addTeamMember(h, org, team, member.user, 'member');
      const adminOrgToken = await makeToken(h, admin.principal, { type: 'organization', org: org.name }, { name: 'admin-tok', admin: true });
      const plainOrgToken = await makeToken(h, admin.principal, { type: 'organization', org: org.name }, { name: 'plain-tok' });
      const teamToken = await makeToken(h, admin.principal, { type: 'team', org: org.name, team: team.name }, { name: 'team-tok' });
      const orgTokens = `/api/orgs/${org.name}/tokens`;
      const teamTokens = `/api/orgs/${org.name}/teams/${team.name}/tokens`;
      const expectStatus = async (token: string, method: 'GET' | 'POST', url: string, status: number, body?: unknown) => {
        const res = await call(h, method, url, { token, ...(body === undefined ? {} : { body }) });
        assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      };
      let n = 0;
      const fresh = () => ({ name: `n${++n}` });
      // organization tokens
      await expectStatus(admin.token, 'GET', orgTokens, 200);
      await expectStatus(admin.token, 'POST', orgTokens, 200, fresh());
      await expectStatus(adminOrgToken.value, 'GET', orgTokens, 200);
      await expectStatus(adminOrgToken.value, 'POST', orgTokens, 403, fresh());
      await expectStatus(plainOrgToken.value, 'GET', orgTokens, 403);
      await expectStatus(member.token, 'GET', orgTokens, 403);
      await expectStatus(member.token, 'POST', orgTokens, 403, fresh());
      await expectStatus(teamToken.value, 'GET', orgTokens, 403);
      await expectStatus(outsider.token, 'GET', orgTokens, 404);
      await expectStatus(outsider.token, 'POST', orgTokens, 404, fresh());
      // team tokens
      await expectStatus(admin.token, 'POST', teamTokens, 200, fresh());
      await expectStatus(adminOrgToken.value, 'POST', teamTokens, 200, fresh());
      await expectStatus(adminOrgToken.value, 'GET', teamTokens, 200);
      await expectStatus(maintainer.token, 'GET', teamTokens, 200);
      await expectStatus(maintainer.token, 'POST', teamTokens, 200, fresh());
      await expectStatus(member.token, 'GET', teamTokens, 403);
      await expectStatus(plainOrgToken.value, 'GET', teamTokens, 403);
      await expectStatus(teamToken.value, 'GET', teamTokens, 403);
      await expectStatus(outsider.token, 'GET', teamTokens, 404);
      await expectStatus(admin.token, 'GET', `/api/orgs/${org.name}/teams/nope/tokens`, 404);
      // personal tokens
      await expectStatus(adminOrgToken.value, 'GET', '/api/user/tokens', 403);
      await expectStatus(teamToken.value, 'POST', '/api/user/tokens', 403, {});
      // the maintainer deletes a team token; a plain member may not
      const victim = await makeToken(h, admin.principal, { type: 'team', org: org.name, team: team.name }, { name: 'victim' });
      assert.equal((await call(h, 'DELETE', `${teamTokens}/${victim.id}`, { token: member.token })).statusCode, 403);
      assert.equal((await call(h, 'DELETE', `${teamTokens}/${victim.id}`, { token: maintainer.token })).statusCode, 204);
      // a token id from another collection is not found in this one
      assert.equal((await call(h, 'DELETE', `${orgTokens}/${teamToken.id}`, { token: admin.token })).statusCode, 404);
    });

    it('expiry is enforced at the second', async () => {
      const { principal } = await makePerson(h);
      h.clock.set(Math.ceil(h.clock.now() / 1000) * 1000 + 1000); // on a whole second
      const t = await makeToken(h, principal, { type: 'personal' }, { expires: h.clock.nowSec() + 2 });
      assert.equal((await call(h, 'GET', '/api/user', { token: t.value })).statusCode, 200);
      h.clock.advance(1999);
      assert.equal((await call(h, 'GET', '/api/user', { token: t.value })).statusCode, 200);
      h.clock.advance(1);
      const body = expectError(await call(h, 'GET', '/api/user', { token: t.value }), 401, 'token_expired');
      assert.match(body.message, /expired at \d{4}-\d{2}-\d{2}T/);
    });

    it('lastUsed moves within a minute without a write per request', async () => {
      const { token, principal } = await makePerson(h);
      const t = await makeToken(h, principal, { type: 'personal' });
      const lastUsedOf = async () => ((await call(h, 'GET', '/api/user/tokens', { token })).json().tokens as WireToken[]).find((x) => x.id === t.id)!.lastUsed;
      assert.equal(await lastUsedOf(), 0);
      await call(h, 'GET', '/api/user', { token: t.value });
      assert.equal(await lastUsedOf(), h.clock.nowSec(), 'this node reports the pending use at once');
      await h.deps.lastUsed.flush();
      const stored = await h.deps.store.findToken(t.id);
      assert.equal(stored!.lastUsed, h.clock.nowSec(), 'flushed to the database');
      const usedAt = h.clock.nowSec();
      h.clock.advance(10_000);
      await call(h, 'GET', '/api/user', { token: t.value });
      await h.deps.lastUsed.flush();
      assert.equal((await h.deps.store.findToken(t.id))!.lastUsed, usedAt, 'a use within 30 s of the stored one is not written');
      h.clock.advance(25_000);
      await call(h, 'GET', '/api/user', { token: t.value });
      await h.deps.lastUsed.flush();
      assert.equal((await h.deps.store.findToken(t.id))!.lastUsed, h.clock.nowSec());
    });

    it('writes an audit event in the same transaction as every change', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const res = await call(h, 'POST', `/api/orgs/${org.name}/tokens`, { token: admin.token, body: { name: 'audited' }, headers: { 'user-agent': 'audit-test/1.0' } });
      const id = res.json().id as string;
      await call(h, 'DELETE', `/api/orgs/${org.name}/tokens/${id}`, { token: admin.token, headers: { 'user-agent': 'audit-test/1.0' } });
      const events = await h.deps.store.listAudit(org.id, 50);
      const created = events.find((e) => e.action === 'access_token_created' && e.targetId === id)!;
      const deleted = events.find((e) => e.action === 'access_token_deleted' && e.targetId === id)!;
      for (const e of [created, deleted]) {
        assert.equal(e.actorLogin, admin.user.login);
        assert.equal(e.orgId, org.id);
        assert.equal(e.userAgent, 'audit-test/1.0');
        assert.equal(e.sourceIp, '127.0.0.1');
        assert.ok(e.requestId && e.requestId.length > 0);
        assert.equal(e.targetName, 'audited');
      }
      assert.equal(created.requestId, res.headers['x-request-id']);
      const before = (await h.deps.store.listAudit(null, 1000)).length;
      expectError(await call(h, 'POST', `/api/orgs/${org.name}/tokens`, { token: admin.token, body: { name: 'audited' } }), 409, 'token_name_taken');
      assert.equal((await h.deps.store.listAudit(null, 1000)).length, before, 'a refused change writes no event');
    });
  });
}
