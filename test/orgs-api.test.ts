import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from './support/databases.js';
import { addMember, call, expectError, makeOrg, makePerson, makeToken, startHarness, type Harness } from './support/harness.js';

for (const kind of databaseKinds()) {
  describe(`organizations, members and teams (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h.close());

    it('POST /api/orgs makes the creator an admin; names are unique', async () => {
      const alice = await makePerson(h);
      const res = await call(h, 'POST', '/api/orgs', { token: alice.token, body: { name: 'acme-' + alice.user.login } });
      assert.equal(res.statusCode, 200, res.body);
      const org = res.json();
      assert.equal(org.role, 'admin');
      assert.equal(org.memberCount, 1);
      const read = await call(h, 'GET', `/api/orgs/${org.name}`, { token: alice.token });
      assert.equal(read.statusCode, 200);
      assert.equal(read.json().id, org.id);
      expectError(await call(h, 'POST', '/api/orgs', { token: alice.token, body: { name: org.name } }), 409, 'org_name_taken');
      expectError(await call(h, 'POST', '/api/orgs', { token: alice.token, body: { name: 'bad name' } }), 400, 'name_invalid');
      expectError(await call(h, 'POST', '/api/orgs', { token: alice.token, body: { name: 'x', owner: 'mallory' } }), 400, 'invalid_request');
      const orgToken = await makeToken(h, alice.principal, { type: 'organization', org: org.name }, { name: 'tok', admin: true });
      expectError(await call(h, 'POST', '/api/orgs', { token: orgToken.value, body: { name: 'by-token' } }), 403, 'forbidden');
    });

    it('members: admins invite, change and remove; invitees accept; members read; outsiders get 404', async () => {
      const admin = await makePerson(h);
      const bob = await makePerson(h);
      const carol = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const members = `/api/orgs/${org.name}/members`;
      // Someone who is not a member is invited (202), and becomes a member by accepting.
      const put = await call(h, 'PUT', `${members}/${bob.user.login}`, { token: admin.token, body: { role: 'member' } });
      assert.equal(put.statusCode, 202, put.body);
      assert.equal(put.json().invitation.role, 'member');
      const accepted = await call(h, 'POST', `/api/user/invitations/${put.json().invitation.id}/accept`, { token: bob.token });
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.deepEqual(accepted.json(), { organization: org.name, role: 'member' });
      const list = await call(h, 'GET', members, { token: bob.token });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(
        list.json().members.map((m: { role: string; user: { githubLogin: string } }) => [m.user.githubLogin, m.role]).sort(),
        [[admin.user.login, 'admin'], [bob.user.login, 'member']].sort(),
      );
      expectError(await call(h, 'PUT', `${members}/${carol.user.login}`, { token: bob.token, body: {} }), 403, 'forbidden');
      expectError(await call(h, 'GET', members, { token: carol.token }), 404, 'org_not_found');
      expectError(await call(h, 'GET', `/api/orgs/${org.name}`, { token: carol.token }), 404, 'org_not_found');
      expectError(await call(h, 'GET', `/api/orgs/no-such-org`, { token: carol.token }), 404, 'org_not_found');
      assert.equal((await call(h, 'PUT', `${members}/nobody-here`, { token: admin.token, body: {} })).statusCode, 202, 'unknown logins are invited like anyone');
      expectError(await call(h, 'PUT', `${members}/${bob.user.login}`, { token: admin.token, body: { role: 'owner' } }), 400, 'invalid_request');
      // promote (an existing member's role changes at once), then the last admin rule
      const promoted = await call(h, 'PUT', `${members}/${bob.user.login}`, { token: admin.token, body: { role: 'admin' } });
      assert.equal(promoted.statusCode, 200, promoted.body);
      assert.deepEqual(promoted.json(), { role: 'admin', created: false });
      assert.equal((await call(h, 'DELETE', `${members}/${admin.user.login}`, { token: bob.token })).statusCode, 204);
      expectError(await call(h, 'GET', members, { token: admin.token }), 404, 'org_not_found');
      expectError(await call(h, 'PUT', `${members}/${bob.user.login}`, { token: bob.token, body: { role: 'member' } }), 409, 'last_admin');
      expectError(await call(h, 'DELETE', `${members}/${bob.user.login}`, { token: bob.token }), 409, 'last_admin');
      expectError(await call(h, 'DELETE', `${members}/${carol.user.login}`, { token: bob.token }), 404, 'member_not_found');
    });

    it('teams: create with a maintainer, members, read, delete revokes team tokens', async () => {
      const admin = await makePerson(h);
      const dev = await makePerson(h);
      const outsider = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      await addMember(h, org, dev.user);
      const teams = `/api/orgs/${org.name}/teams`;
      const created = await call(h, 'POST', teams, { token: admin.token, body: { name: 'platform', description: 'infra', maintainer: dev.user.login } });
      assert.equal(created.statusCode, 200, created.body);
      assert.equal(created.json().name, 'platform');
      expectError(await call(h, 'POST', teams, { token: admin.token, body: { name: 'platform' } }), 409, 'team_name_taken');
      expectError(await call(h, 'POST', teams, { token: dev.token, body: { name: 'rogue' } }), 403, 'forbidden');
      expectError(await call(h, 'POST', teams, { token: admin.token, body: { name: 'with-outsider', maintainer: outsider.user.login } }), 404, 'member_not_found');
      assert.equal((await call(h, 'GET', `${teams}/with-outsider`, { token: admin.token })).statusCode, 404, 'the refused team was not created');
      const listed = await call(h, 'GET', teams, { token: dev.token });
      assert.deepEqual(listed.json().teams.map((t: { name: string }) => t.name), ['platform']);
      const detail = (await call(h, 'GET', `${teams}/platform`, { token: dev.token })).json();
      assert.deepEqual(detail.members.map((m: { githubLogin: string; role: string }) => [m.githubLogin, m.role]), [[dev.user.login, 'maintainer']]);
      expectError(await call(h, 'PUT', `${teams}/platform/members/${outsider.user.login}`, { token: admin.token, body: { role: 'member' } }), 404, 'member_not_found');
      assert.equal((await call(h, 'PUT', `${teams}/platform/members/${admin.user.login}`, { token: admin.token, body: { role: 'member' } })).statusCode, 200);
      assert.equal((await call(h, 'DELETE', `${teams}/platform/members/${admin.user.login}`, { token: admin.token })).statusCode, 204);
      expectError(await call(h, 'DELETE', `${teams}/platform/members/${admin.user.login}`, { token: admin.token }), 404, 'member_not_found');
      // the maintainer makes a team token; deleting the team revokes it
      const tok = await call(h, 'POST', `${teams}/platform/tokens`, { token: dev.token, body: { name: 'ci' } });
      assert.equal(tok.statusCode, 200, tok.body);
      assert.equal((await call(h, 'GET', '/api/user', { token: tok.json().tokenValue })).statusCode, 200);
      expectError(await call(h, 'DELETE', `${teams}/platform`, { token: dev.token }), 403, 'forbidden');
      assert.equal((await call(h, 'DELETE', `${teams}/platform`, { token: admin.token })).statusCode, 204);
      expectError(await call(h, 'GET', '/api/user', { token: tok.json().tokenValue }), 401, 'token_revoked');
      expectError(await call(h, 'GET', `${teams}/platform`, { token: admin.token }), 404, 'team_not_found');
      // removing a member from the organization removes them from its teams
      await call(h, 'POST', teams, { token: admin.token, body: { name: 'again', maintainer: dev.user.login } });
      await call(h, 'DELETE', `/api/orgs/${org.name}/members/${dev.user.login}`, { token: admin.token });
      assert.deepEqual((await call(h, 'GET', `${teams}/again`, { token: admin.token })).json().members, []);
    });

    it('every change writes its audit event', async () => {
      const admin = await makePerson(h);
      const bob = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      h.clock.advance(1);
      const invited = await call(h, 'PUT', `/api/orgs/${org.name}/members/${bob.user.login}`, { token: admin.token, body: {} });
      assert.equal(invited.statusCode, 202, invited.body);
      h.clock.advance(1);
      const accepted = await call(h, 'POST', `/api/user/invitations/${invited.json().invitation.id}/accept`, { token: bob.token });
      assert.equal(accepted.statusCode, 200, accepted.body);
      const steps: Array<['PUT' | 'POST' | 'DELETE', string, unknown?]> = [
        ['PUT', `/api/orgs/${org.name}/members/${bob.user.login}`, { role: 'admin' }],
        ['POST', `/api/orgs/${org.name}/teams`, { name: 'red' }],
        ['PUT', `/api/orgs/${org.name}/teams/red/members/${bob.user.login}`, { role: 'maintainer' }],
        ['DELETE', `/api/orgs/${org.name}/teams/red/members/${bob.user.login}`],
        ['DELETE', `/api/orgs/${org.name}/teams/red`],
        ['DELETE', `/api/orgs/${org.name}/members/${bob.user.login}`],
      ];
      for (const [method, url, body] of steps) {
        h.clock.advance(1); // events are ordered by time; keep each step in its own millisecond
        const res = await call(h, method, url, { token: admin.token, ...(body === undefined ? {} : { body }) });
        assert.ok(res.statusCode < 300, `${method} ${url}: ${res.body}`);
      }
      const actions = (await h.deps.store.listAudit(org.id, 100)).map((e) => e.action).reverse();
      assert.deepEqual(actions, [
        'organization_created',
        'member_added',
        'member_invited',
        'invitation_accepted',
        'member_added',
        'member_role_changed',
        'team_created',
        'team_member_added',
        'team_member_removed',
        'team_deleted',
        'member_removed',
      ]);
      const users = (await h.deps.store.listAudit(null, 1000)).filter((e) => e.action === 'user_created' && e.targetName === bob.user.login);
      assert.equal(users.length, 1);
    });
  });
}
