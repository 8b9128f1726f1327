// Catalog rows X01 (any user becomes site administrator), X02 (an admin organization token takes
// over its organization) and the member half of X14 (login probing through member operations),
// driven over HTTP against a real listening server on loopback, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { JWTPayload } from 'jose';
import { NO_REQUEST } from '../src/domain/deps.js';
import type { Principal } from '../src/domain/principal.js';
import type { Organization } from '../src/domain/records.js';
import { issueToken } from '../src/domain/tokens/issue-token.js';
import { newTokenRecord } from '../src/domain/tokens/issue-token.js';
import { databaseKinds } from './support/databases.js';
import { addMember, addTeamMember, makeOrg, makePerson, makeTeam, makeToken, startHarness, uniqueName, type Harness } from './support/harness.js';
import { GRANT, ID_TOKEN, ghClaims, makeSigningKey, signJwt, type SigningKey } from './support/oidc-fixture.js';

const PERSONAL_TYPE = 'urn:pulumi:token-type:access_token:personal';
const ORG_TYPE = 'urn:pulumi:token-type:access_token:organization';
const DAY_MS = 86_400_000;

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

type Person = Awaited<ReturnType<typeof makePerson>>;

for (const kind of databaseKinds()) {
  describe(`security: X01, X02, X14 members (${kind})`, { timeout: 120_000 }, () => {
    let h: Harness;
    let base: string;
    before(async () => {
      h = await startHarness(kind);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    });
    after(async () => h.close());

    /** One request over a real socket. */
    async function send(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Reply> {
      const headers: Record<string, string> = {};
      if (opts.token) headers.authorization = `token ${opts.token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
      const text = await res.text();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const value = (body as { tokenValue?: string; access_token?: string } | undefined)?.tokenValue ?? (body as { access_token?: string } | undefined)?.access_token;
      if (value) h.secrets.add(value);
      return { status: res.status, body, text };
    }

    function expectRefusal(r: Reply, status: number, reason: string, what: string): void {
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.body.reason, reason, `${what}: ${r.text}`);
      assert.equal(r.body.code, status);
    }

    async function exchange(org: string, jwt: string, requested: string, scope?: string): Promise<Reply> {
      return send('POST', '/api/oauth/token', {
        body: { audience: `urn:pulumi:org:${org}`, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: requested, subject_token: jwt, expiration: 3600, ...(scope ? { scope } : {}) },
      });
    }

    async function auditActions(orgId: string): Promise<string[]> {
      return (await h.deps.store.listAudit(orgId, 1000)).map((e) => e.action).reverse();
    }

    async function invite(org: string, admin: string, login: string, role: 'admin' | 'member' = 'member'): Promise<Reply> {
      return send('PUT', `/api/orgs/${org}/members/${login}`, { token: admin, body: { role } });
    }

    async function memberRole(orgId: string, userId: string): Promise<string | undefined> {
      return h.deps.store.findMemberRole(orgId, userId);
    }

    /** An attacker's issuer with a static key set, and a policy allowing a personal token of `victim`. */
    async function attackerIssuer(org: string, attacker: Person, victimLogin: string): Promise<{ key: SigningKey; url: string }> {
      const key = await makeSigningKey();
      const url = `https://93.184.216.34/${uniqueName('iss')}`;
      const reg = await send('POST', `/api/orgs/${org}/oidc/issuers`, { token: attacker.token, body: { name: uniqueName('evil'), url, jwks: { keys: [key.jwk] } } });
      assert.equal(reg.status, 200, reg.text);
      const policy = await send('GET', `/api/orgs/${org}/auth/policies/oidcissuers/${reg.body.id}`, { token: attacker.token });
      assert.equal(policy.status, 200, policy.text);
      const patched = await send('PATCH', `/api/orgs/${org}/auth/policies/${policy.body.id}`, {
        token: attacker.token,
        body: { policies: [{ decision: 'allow', tokenType: 'personal', userLogin: victimLogin, rules: { sub: '*' } }] },
      });
      assert.equal(patched.status, 200, patched.text);
      return { key, url };
    }

    async function jwtFor(key: SigningKey, url: string, org: string, extra: Partial<JWTPayload> = {}): Promise<string> {
      return signJwt(h, key, ghClaims(url, org, h.clock.nowSec(), extra));
    }

    it('X01: the whole chain: a plain user invites the site admin, who accepts; the exchanged personal token is bound, 404 elsewhere, 403 on user routes, never site admin', async () => {
      const root = await makePerson(h, { siteAdmin: true });
      const rootOrg = await makeOrg(h, root.user);
      const mallory = await makePerson(h);
      const usersBefore = (await h.deps.store.listUsers()).length;

      // 1. A plain user creates an organization.
      const evilName = uniqueName('evil');
      const created = await send('POST', '/api/orgs', { token: mallory.token, body: { name: evilName } });
      assert.equal(created.status, 200, created.text);
      const evil = (await h.deps.store.findOrgByName(evilName))!;

      // 2. "Adds" the site administrator: only an invitation; root is not a member.
      const invited = await invite(evilName, mallory.token, root.user.login, 'member');
      assert.equal(invited.status, 202, invited.text);
      assert.deepEqual(Object.keys(invited.body.invitation).sort(), ['created', 'expires', 'id', 'invitedBy', 'login', 'organization', 'role']);
      assert.equal(await memberRole(evil.id, root.user.id), undefined, 'no membership without acceptance');
      expectRefusal(await send('GET', `/api/orgs/${evilName}`, { token: root.token }), 404, 'org_not_found', 'root does not belong yet');

      // 3. and 4. Registers an issuer with a key set she controls and allows a personal token of root.
      const { key, url } = await attackerIssuer(evilName, mallory, root.user.login);

      // 5. Exchanges a JWT she signed: refused while root has not accepted.
      const refused = await exchange(evilName, await jwtFor(key, url, evilName), PERSONAL_TYPE, `user:${root.user.login}`);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.error, 'invalid_scope');

      // Even if the administrator accepts, the minted token is bound to the organization.
      const accepted = await send('POST', `/api/user/invitations/${invited.body.invitation.id}/accept`, { token: root.token });
      assert.equal(accepted.status, 200, accepted.text);
      const minted = await exchange(evilName, await jwtFor(key, url, evilName), PERSONAL_TYPE, `user:${root.user.login}`);
      assert.equal(minted.status, 200, minted.text);
      const stolen = minted.body.access_token as string;

      const me = await send('GET', '/api/user', { token: stolen });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.githubLogin, root.user.login);
      assert.equal(me.body.siteAdmin, false, 'an exchanged token never carries site-administrator power');
      assert.equal(me.body.token.organization, evilName);
      assert.equal(me.body.token.type, 'personal');
      assert.equal(me.body.tokenInfo, undefined, 'no tokenInfo: Pulumi clients read it as "not a personal token"');
      assert.deepEqual(me.body.organizations.map((o: { name: string }) => o.name), [evilName], 'lists only the binding organization');

      // Other organizations: 404, although root is their admin.
      for (const path of [`/api/orgs/${rootOrg.name}`, `/api/orgs/${rootOrg.name}/members`, `/api/orgs/${rootOrg.name}/tokens`, `/api/orgs/${rootOrg.name}/oidc/issuers`, `/api/orgs/${rootOrg.name}/auditlogs`]) {
        expectRefusal(await send('GET', path, { token: stolen }), 404, 'org_not_found', path);
      }
      expectRefusal(await send('POST', `/api/orgs/${rootOrg.name}/tokens`, { token: stolen, body: { name: 'x', admin: true } }), 404, 'org_not_found', 'mint in another org');
      expectRefusal(await send('PUT', `/api/orgs/${rootOrg.name}/members/${mallory.user.login}`, { token: stolen, body: { role: 'admin' } }), 404, 'org_not_found', 'invite into another org');

      // The user routes of tokens and invitations, and /api/users: 403.
      const rootTokens = await h.deps.store.listTokens({ type: 'personal', userId: root.user.id }, 'all', h.clock.nowSec(), 100);
      const rootOwnToken = rootTokens.find((t) => t.source !== 'oidc')!;
      const forbidden: Array<[string, string, unknown?]> = [
        ['GET', '/api/user/tokens'],
        ['POST', '/api/user/tokens', { description: 'escape' }],
        ['DELETE', `/api/user/tokens/${rootOwnToken.id}`],
        ['GET', '/api/user/invitations'],
        ['POST', `/api/user/invitations/${randomUUID()}/accept`],
        ['POST', `/api/user/invitations/${randomUUID()}/decline`],
        ['GET', '/api/users'],
        ['POST', '/api/users', { login: uniqueName('x'), email: 'x@example.com', siteAdmin: true }],
        ['PUT', `/api/users/${mallory.user.login}/password`, { password: 'a-new-password' }],
        ['PUT', `/api/users/${mallory.user.login}/disabled`, { disabled: true }],
        ['POST', '/api/orgs', { name: uniqueName('escape') }],
        ['PUT', '/api/user/password', { currentPassword: 'whatever-it-is', newPassword: 'a-new-password' }],
      ];
      for (const [method, path, body] of forbidden) {
        expectRefusal(await send(method, path, { token: stolen, ...(body === undefined ? {} : { body }) }), 403, 'forbidden', `${method} ${path}`);
      }
      // It does work in its own organization, as a member there.
      assert.equal((await send('GET', `/api/orgs/${evilName}/members`, { token: stolen })).status, 200);

      // Nothing changed: no user created, root's own token intact and still a site admin's.
      assert.equal((await h.deps.store.listUsers()).length, usersBefore + 0);
      const rootMe = await send('GET', '/api/user', { token: root.token });
      assert.equal(rootMe.body.siteAdmin, true);
      assert.equal(rootMe.body.token.organization, undefined);
      assert.equal((await send('GET', '/api/users', { token: root.token })).status, 200);
      assert.equal((await h.deps.store.findUserByLogin(mallory.user.login))!.disabledAt, null);

      // The audit trail of the attacker's organization tells the story.
      const actions = await auditActions(evil.id);
      for (const a of ['organization_created', 'member_invited', 'oidc_issuer_created', 'auth_policy_updated', 'oidc_token_exchange_denied', 'invitation_accepted', 'member_added', 'oidc_token_exchanged']) {
        assert.ok(actions.includes(a), `audit lacks ${a}: ${actions.join(', ')}`);
      }
      assert.ok(actions.indexOf('oidc_token_exchange_denied') < actions.indexOf('invitation_accepted'));
    });

    it('X01: each link refused on its own: no direct addition, binding for a legitimate member too, site-admin power only through own credentials', async () => {
      // Link 1: PUT never adds an existing user who is not a member, whatever the role asked.
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const victim = await makePerson(h, { siteAdmin: true });
      for (const role of ['member', 'admin'] as const) {
        const r = await invite(org.name, admin.token, victim.user.login, role);
        assert.equal(r.status, 202, r.text);
        assert.equal(await memberRole(org.id, victim.user.id), undefined);
      }
      const members = await send('GET', `/api/orgs/${org.name}/members`, { token: admin.token });
      assert.ok(!members.body.members.some((m: { user: { githubLogin: string } }) => m.user.githubLogin === victim.user.login));

      // Link 2: a legitimate member's exchanged personal token is bound all the same.
      const siteAdmin = await makePerson(h, { siteAdmin: true });
      const home = await makeOrg(h, siteAdmin.user);
      const other = await makeOrg(h, siteAdmin.user);
      const { key, url } = await attackerIssuer(home.name, siteAdmin, siteAdmin.user.login);
      const minted = await exchange(home.name, await jwtFor(key, url, home.name), PERSONAL_TYPE, `user:${siteAdmin.user.login}`);
      assert.equal(minted.status, 200, minted.text);
      const token = minted.body.access_token as string;
      expectRefusal(await send('GET', `/api/orgs/${other.name}`, { token }), 404, 'org_not_found', 'other org of the same admin');
      assert.equal((await send('GET', `/api/orgs/${home.name}`, { token })).status, 200);
      // Link 3: not site-admin power even in its own organization, nor persons-only power.
      const me = await send('GET', '/api/user', { token });
      assert.equal(me.body.siteAdmin, false);
      assert.equal(me.body.token.organization, home.name);
      expectRefusal(await send('GET', '/api/users', { token }), 403, 'forbidden', 'users');
      expectRefusal(await send('POST', `/api/orgs/${home.name}/oidc/issuers`, { token, body: { name: 'x', url: 'https://93.184.216.34/x', jwks: { keys: [key.jwk] } } }), 403, 'forbidden', 'issuer by exchanged token');
      // Stored as bound: organization listings do not see it, it has no organization of its own.
      const row = (await h.deps.store.listTokens({ type: 'personal', userId: siteAdmin.user.id }, 'all', h.clock.nowSec(), 100)).find((t) => t.source === 'oidc')!;
      assert.equal(row.boundOrgId, home.id);
      assert.equal(row.orgId, null);
      assert.equal(row.createdByUserId, null);

      // Tokens the operator mints (`tessera admin create-user --token` issues as the user) count as the user's.
      const owner: Principal = { kind: 'user', user: siteAdmin.user, token: null };
      const operatorMinted = await issueToken(h.deps, NO_REQUEST, owner, { type: 'personal' }, { description: 'created by tessera admin create-user', expires: 0, source: 'cli' });
      h.secrets.add(operatorMinted.tokenValue);
      assert.equal(operatorMinted.token.createdByUserId, siteAdmin.user.id);
      assert.equal((await send('GET', '/api/user', { token: operatorMinted.tokenValue })).body.siteAdmin, true);
      assert.equal((await send('GET', '/api/users', { token: operatorMinted.tokenValue })).status, 200);

      // An exchanged personal token without a binding (minted before bindings were recorded, its
      // issuer since deleted) is refused outright rather than let reach everything.
      const legacy = newTokenRecord({
        type: 'personal',
        userId: siteAdmin.user.id,
        orgId: null,
        teamId: null,
        name: '',
        description: 'legacy exchange',
        admin: false,
        source: 'oidc',
        createdAt: h.clock.now(),
        createdBy: 'oidc:gone',
        createdByUserId: null,
        expires: h.clock.nowSec() + 3600,
        oidc: { issuerId: randomUUID(), issuerName: 'gone', subject: 'x' },
      });
      h.secrets.add(legacy.tokenValue);
      await h.deps.store.insertToken(legacy.token);
      expectRefusal(await send('GET', '/api/user', { token: legacy.tokenValue }), 401, 'token_invalid', 'unbound exchanged token');
    });

    it('X01: invitations: identical 202 for unknown and non-member logins, accepted or declined by the invitee only, never by an exchanged token; role carried', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const bob = await makePerson(h);
      const stranger = await makePerson(h);
      const unknownLogin = uniqueName('ghost');

      const forUser = await invite(org.name, admin.token, bob.user.login, 'admin');
      const forGhost = await invite(org.name, admin.token, unknownLogin, 'admin');
      assert.equal(forUser.status, 202);
      assert.equal(forGhost.status, 202);
      const shape = (r: Reply, login: string) => JSON.stringify(r.body, (k, v) => (k === 'id' ? 'ID' : v === login ? 'LOGIN' : v));
      assert.equal(shape(forUser, bob.user.login), shape(forGhost, unknownLogin), 'the same answer, whether or not the login exists');
      assert.equal(forUser.body.invitation.expires - Math.floor(h.clock.now() / 1000), 7 * 86400, 'expires in 7 days');
      // The admins' list shows both alike.
      const listed = await send('GET', `/api/orgs/${org.name}/invitations`, { token: admin.token });
      assert.equal(listed.status, 200);
      const byLogin = new Map(listed.body.invitations.map((i: { login: string }) => [i.login, i]));
      assert.ok(byLogin.has(bob.user.login) && byLogin.has(unknownLogin));
      // The audit events are alike too: an invitation, never a user id.
      const invitedEvents = (await h.deps.store.listAudit(org.id, 100)).filter((e) => e.action === 'member_invited');
      assert.deepEqual(new Set(invitedEvents.map((e) => e.targetType)), new Set(['invitation']));

      // The invitee sees it; nobody else does, nor can answer it.
      const mine = await send('GET', '/api/user/invitations', { token: bob.token });
      assert.deepEqual(mine.body.invitations.map((i: { organization: string; role: string }) => [i.organization, i.role]), [[org.name, 'admin']]);
      assert.deepEqual((await send('GET', '/api/user/invitations', { token: stranger.token })).body.invitations, []);
      const id = forUser.body.invitation.id as string;
      expectRefusal(await send('POST', `/api/user/invitations/${id}/accept`, { token: stranger.token }), 404, 'invitation_not_found', 'stranger accepts');
      expectRefusal(await send('POST', `/api/user/invitations/${id}/decline`, { token: stranger.token }), 404, 'invitation_not_found', 'stranger declines');
      expectRefusal(await send('POST', `/api/user/invitations/${id}/accept`, { token: admin.token }), 404, 'invitation_not_found', 'the inviter accepts');
      const orgAdminToken = await makeToken(h, admin.principal, { type: 'organization', org: org.name }, { name: uniqueName('adm'), admin: true });
      h.secrets.add(orgAdminToken.value);
      const team = await makeTeam(h, org);
      const teamToken = await makeToken(h, admin.principal, { type: 'team', org: org.name, team: team.name }, { name: uniqueName('t') });
      h.secrets.add(teamToken.value);
      for (const t of [orgAdminToken.value, teamToken.value]) {
        expectRefusal(await send('POST', `/api/user/invitations/${id}/accept`, { token: t }), 403, 'forbidden', 'org/team token accepts');
        expectRefusal(await send('GET', '/api/user/invitations', { token: t }), 403, 'forbidden', 'org/team token lists');
      }
      // An exchanged personal token of bob (bound to another organization where bob is a member) cannot accept.
      const bobsHome = await makeOrg(h, bob.user);
      const { key, url } = await attackerIssuer(bobsHome.name, bob, bob.user.login);
      const exchanged = await exchange(bobsHome.name, await jwtFor(key, url, bobsHome.name), PERSONAL_TYPE, `user:${bob.user.login}`);
      assert.equal(exchanged.status, 200, exchanged.text);
      expectRefusal(await send('POST', `/api/user/invitations/${id}/accept`, { token: exchanged.body.access_token }), 403, 'forbidden', 'exchanged token accepts');
      assert.equal(await memberRole(org.id, bob.user.id), undefined);

      // The invitee accepts with his own token: a member with the carried role, in one go with the audit.
      const accepted = await send('POST', `/api/user/invitations/${id}/accept`, { token: bob.token });
      assert.deepEqual(accepted.body, { organization: org.name, role: 'admin' });
      assert.equal(await memberRole(org.id, bob.user.id), 'admin');
      expectRefusal(await send('POST', `/api/user/invitations/${id}/accept`, { token: bob.token }), 404, 'invitation_not_found', 'answered twice');
      const added = (await h.deps.store.listAudit(org.id, 100)).find((e) => e.action === 'member_added' && e.targetId === bob.user.id)!;
      assert.equal(added.actorLogin, bob.user.login);
      assert.deepEqual(added.details?.role, 'admin');

      // An invitation of an unknown login can never be accepted, not even by a user who takes the login later.
      const late = await send('POST', '/api/users', { token: (await makePerson(h, { siteAdmin: true })).token, body: { login: unknownLogin, email: 'late@example.com', password: 'a long enough password' } });
      assert.equal(late.status, 200, late.text);
      const lateUser = await h.deps.store.findUserByLogin(unknownLogin);
      const lateToken = await makeToken(h, { kind: 'user', user: lateUser!, token: null }, { type: 'personal' });
      h.secrets.add(lateToken.value);
      assert.deepEqual((await send('GET', '/api/user/invitations', { token: lateToken.value })).body.invitations, []);
      expectRefusal(await send('POST', `/api/user/invitations/${forGhost.body.invitation.id}/accept`, { token: lateToken.value }), 404, 'invitation_not_found', 'late user');

      // Decline: the invitation goes, no membership, and the audit log says so.
      const carol = await makePerson(h);
      const forCarol = await invite(org.name, admin.token, carol.user.login);
      const declined = await send('POST', `/api/user/invitations/${forCarol.body.invitation.id}/decline`, { token: carol.token });
      assert.equal(declined.status, 204, declined.text);
      assert.equal(await memberRole(org.id, carol.user.id), undefined);
      assert.deepEqual((await send('GET', '/api/user/invitations', { token: carol.token })).body.invitations, []);
      const actions = await auditActions(org.id);
      for (const a of ['member_invited', 'invitation_accepted', 'member_added', 'invitation_declined']) assert.ok(actions.includes(a), a);

      // An existing member's role changes at once (200), no invitation.
      const demoted = await invite(org.name, admin.token, bob.user.login, 'member');
      assert.equal(demoted.status, 200, demoted.text);
      assert.deepEqual(demoted.body, { role: 'member', created: false });
      assert.equal(await memberRole(org.id, bob.user.id), 'member');
    });

    it('X01: invitations expire after 7 days; at most 20 pending per login, the same for unknown logins; admins list and cancel', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const dave = await makePerson(h);

      // Expiry on the test clock.
      const first = await invite(org.name, admin.token, dave.user.login);
      h.clock.advance(7 * DAY_MS - 1000);
      assert.equal((await send('GET', '/api/user/invitations', { token: dave.token })).body.invitations.length, 1, 'still pending just before 7 days');
      h.clock.advance(1000);
      assert.deepEqual((await send('GET', '/api/user/invitations', { token: dave.token })).body.invitations, []);
      assert.deepEqual((await send('GET', `/api/orgs/${org.name}/invitations`, { token: admin.token })).body.invitations, []);
      expectRefusal(await send('POST', `/api/user/invitations/${first.body.invitation.id}/accept`, { token: dave.token }), 404, 'invitation_not_found', 'expired');
      assert.equal(await memberRole(org.id, dave.user.id), undefined);

      // Inviting again replaces the pending invitation of the same organization: one at a time.
      await invite(org.name, admin.token, dave.user.login);
      const again = await invite(org.name, admin.token, dave.user.login, 'admin');
      const pending = (await send('GET', '/api/user/invitations', { token: dave.token })).body.invitations;
      assert.deepEqual(pending.map((i: { id: string; role: string }) => [i.id, i.role]), [[again.body.invitation.id, 'admin']]);

      // Cancel: gone for the invitee, audited; another organization's admin cannot cancel it.
      const outsider = await makePerson(h);
      const otherOrg = await makeOrg(h, outsider.user);
      expectRefusal(await send('DELETE', `/api/orgs/${otherOrg.name}/invitations/${again.body.invitation.id}`, { token: outsider.token }), 404, 'invitation_not_found', 'foreign cancel');
      expectRefusal(await send('DELETE', `/api/orgs/${org.name}/invitations/${again.body.invitation.id}`, { token: outsider.token }), 404, 'org_not_found', 'outsider cancel');
      const canceled = await send('DELETE', `/api/orgs/${org.name}/invitations/${again.body.invitation.id}`, { token: admin.token });
      assert.equal(canceled.status, 204, canceled.text);
      assert.deepEqual((await send('GET', '/api/user/invitations', { token: dave.token })).body.invitations, []);
      expectRefusal(await send('POST', `/api/user/invitations/${again.body.invitation.id}/accept`, { token: dave.token }), 404, 'invitation_not_found', 'canceled');
      const canceledEvent = (await h.deps.store.listAudit(org.id, 100)).find((e) => e.action === 'invitation_canceled')!;
      assert.equal(canceledEvent.targetName, dave.user.login);
      assert.equal(canceledEvent.actorLogin, admin.user.login);

      // At most 20 pending per login, counted alike for a user and for an unknown login.
      const ghost = uniqueName('ghost');
      const orgs: Array<{ org: Organization; owner: Person }> = [];
      for (let i = 0; i < 21; i++) {
        const owner = await makePerson(h);
        orgs.push({ org: await makeOrg(h, owner.user), owner });
      }
      for (const { org: o, owner } of orgs.slice(0, 20)) {
        assert.equal((await invite(o.name, owner.token, dave.user.login)).status, 202);
        assert.equal((await invite(o.name, owner.token, ghost)).status, 202);
      }
      const last = orgs[20]!;
      const overUser = await invite(last.org.name, last.owner.token, dave.user.login);
      const overGhost = await invite(last.org.name, last.owner.token, ghost);
      expectRefusal(overUser, 409, 'too_many_invitations', 'user over the limit');
      expectRefusal(overGhost, 409, 'too_many_invitations', 'ghost over the limit');
      assert.equal(overUser.body.message.replace(dave.user.login, 'L'), overGhost.body.message.replace(ghost, 'L'));
      assert.equal((await send('GET', '/api/user/invitations', { token: dave.token })).body.invitations.length, 20);
      // Answering one frees a place.
      const one = (await send('GET', '/api/user/invitations', { token: dave.token })).body.invitations[0];
      assert.equal((await send('POST', `/api/user/invitations/${one.id}/decline`, { token: dave.token })).status, 204);
      assert.equal((await invite(last.org.name, last.owner.token, dave.user.login)).status, 202);
    });

    it('X01: 40 invitations of one login sent at once from 40 organizations: exactly 20 pending, for a user and an unknown login alike', async () => {
      const erin = await makePerson(h);
      const ghost = uniqueName('ghost');
      const orgs: Array<{ org: Organization; owner: Person }> = [];
      for (let i = 0; i < 40; i++) {
        const owner = await makePerson(h);
        orgs.push({ org: await makeOrg(h, owner.user), owner });
      }
      for (const login of [erin.user.login, ghost]) {
        const replies = await Promise.all(orgs.map(({ org: o, owner }) => invite(o.name, owner.token, login)));
        const statuses = replies.map((r) => r.status).sort();
        assert.equal(statuses.filter((s) => s === 202).length, 20, `${login}: ${statuses.join(',')}`);
        assert.equal(statuses.filter((s) => s === 409).length, 20, `${login}: ${statuses.join(',')}`);
        assert.equal(await h.deps.store.countPendingInvitations(login, h.clock.now()), 20);
      }
      assert.equal((await send('GET', '/api/user/invitations', { token: erin.token })).body.invitations.length, 20);
    });

    it('X02: an admin organization token (or a team token) gets 403 on every persons-only route, and nothing changes', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const human2 = await makePerson(h);
      await addMember(h, org, human2.user, 'admin');
      const plain = await makePerson(h);
      await addMember(h, org, plain.user, 'member');
      const outsider = await makePerson(h);
      const team = await makeTeam(h, org);
      await addTeamMember(h, org, team, plain.user, 'maintainer');
      const leaked = await makeToken(h, admin.principal, { type: 'organization', org: org.name }, { name: uniqueName('ci'), admin: true });
      const teamToken = await makeToken(h, admin.principal, { type: 'team', org: org.name, team: team.name }, { name: uniqueName('t') });
      h.secrets.add(leaked.value);
      h.secrets.add(teamToken.value);
      const key = await makeSigningKey();
      const iss = await send('POST', `/api/orgs/${org.name}/oidc/issuers`, { token: admin.token, body: { name: uniqueName('gh'), url: 'https://93.184.216.34/x02', jwks: { keys: [key.jwk] } } });
      assert.equal(iss.status, 200, iss.text);
      const policy = (await send('GET', `/api/orgs/${org.name}/auth/policies/oidcissuers/${iss.body.id}`, { token: admin.token })).body;
      const pendingInvite = await invite(org.name, admin.token, outsider.user.login);

      const state = async () => ({
        issuers: (await h.deps.store.listIssuers(org.id)).map((i) => `${i.id}:${i.name}:${i.modifiedAt}`),
        policyVersion: (await h.deps.store.findAuthPolicy(org.id, policy.id))!.version,
        members: (await h.deps.store.listMembers(org.id)).map((m) => `${m.user.login}:${m.role}`).sort(),
        invitations: (await h.deps.store.listOrgInvitations(org.id, h.clock.now())).map((i) => `${i.login}:${i.role}`),
        audit: (await h.deps.store.listAudit(org.id, 1000)).length,
        tokens: (await h.deps.store.listTokens({ type: 'organization', orgId: org.id }, 'all', h.clock.nowSec(), 1000)).length,
      });
      const before = await state();

      const attempts: Array<[string, string, unknown?]> = [
        // The takeover through OIDC: a new issuer, an admin-granting policy, changes to the trusted one.
        ['POST', `/api/orgs/${org.name}/oidc/issuers`, { name: uniqueName('rogue'), url: 'https://93.184.216.34/rogue', jwks: { keys: [key.jwk] } }],
        ['PATCH', `/api/orgs/${org.name}/oidc/issuers/${iss.body.id}`, { name: 'renamed', maxExpiration: 7200 }],
        ['DELETE', `/api/orgs/${org.name}/oidc/issuers/${iss.body.id}`],
        ['POST', `/api/orgs/${org.name}/oidc/issuers/${iss.body.id}/regenerate-thumbprints`],
        ['PATCH', `/api/orgs/${org.name}/auth/policies/${policy.id}`, { policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: ['admin'], rules: { sub: '*' } }] }],
        // The takeover through membership: promote, demote the humans, remove, invite.
        ['PUT', `/api/orgs/${org.name}/members/${plain.user.login}`, { role: 'admin' }],
        ['PUT', `/api/orgs/${org.name}/members/${admin.user.login}`, { role: 'member' }],
        ['PUT', `/api/orgs/${org.name}/members/${human2.user.login}`, { role: 'member' }],
        ['DELETE', `/api/orgs/${org.name}/members/${human2.user.login}`],
        ['PUT', `/api/orgs/${org.name}/members/${uniqueName('friend')}`, { role: 'admin' }],
        ['GET', `/api/orgs/${org.name}/invitations`],
        ['DELETE', `/api/orgs/${org.name}/invitations/${pendingInvite.body.invitation.id}`],
      ];
      for (const [who, token] of [
        ['admin organization token', leaked.value],
        ['team token', teamToken.value],
      ] as const) {
        for (const [method, path, body] of attempts) {
          const r = await send(method, path, { token, ...(body === undefined ? {} : { body }) });
          expectRefusal(r, 403, 'forbidden', `${who} ${method} ${path}`);
          if (who === 'admin organization token') assert.match(r.body.message, /as persons/, 'the message says who may');
        }
      }
      assert.deepEqual(await state(), before, 'nothing changed, and no audit event was written');

      // The leaked token still reads what it may: issuers, policies, exchanges.
      assert.equal((await send('GET', `/api/orgs/${org.name}/oidc/issuers`, { token: leaked.value })).status, 200);
      assert.equal((await send('GET', `/api/orgs/${org.name}/auth/policies/oidcissuers/${iss.body.id}`, { token: leaked.value })).status, 200);
      // And the same steps by the human admin work (the refusal is about the credential).
      assert.equal((await send('PUT', `/api/orgs/${org.name}/members/${plain.user.login}`, { token: admin.token, body: { role: 'admin' } })).status, 200);
      assert.equal((await send('GET', `/api/orgs/${org.name}/invitations`, { token: admin.token })).status, 200);
      const patched = await send('PATCH', `/api/orgs/${org.name}/auth/policies/${policy.id}`, { token: admin.token, body: { policies: [{ decision: 'allow', tokenType: 'organization', rules: { sub: '*' } }] } });
      assert.equal(patched.status, 200, patched.text);
      // Through OIDC, the leaked token could not have minted an admin token: the policy grants none.
      const jwt = await signJwt(h, key, ghClaims('https://93.184.216.34/x02', org.name, h.clock.nowSec()));
      const mint = await exchange(org.name, jwt, ORG_TYPE, 'admin');
      assert.equal(mint.status, 400, mint.text);
    });

    it('X14: member operations answer unknown logins and existing non-members alike (status, reason, message)', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const team = await makeTeam(h, org);
      const nonMember = await makePerson(h);
      const unknown = uniqueName('nobody');
      const same = async (method: string, path: (login: string) => string, body?: unknown) => {
        const a = await send(method, path(nonMember.user.login), { token: admin.token, ...(body === undefined ? {} : { body }) });
        const b = await send(method, path(unknown), { token: admin.token, ...(body === undefined ? {} : { body }) });
        assert.equal(a.status, b.status, `${method} ${path('L')}: ${a.text} / ${b.text}`);
        assert.equal(a.body?.reason, b.body?.reason, `${method} ${path('L')}`);
        const norm = (r: Reply, login: string) => JSON.stringify(r.body ?? null, (k, v) => (k === 'requestId' || k === 'id' ? 'X' : typeof v === 'string' ? v.replaceAll(login, 'L') : v));
        assert.equal(norm(a, nonMember.user.login), norm(b, unknown), `${method} ${path('L')}`);
        return a;
      };
      assert.equal((await same('PUT', (l) => `/api/orgs/${org.name}/members/${l}`, { role: 'member' })).status, 202);
      assert.equal((await same('DELETE', (l) => `/api/orgs/${org.name}/members/${l}`)).status, 404);
      assert.equal((await same('PUT', (l) => `/api/orgs/${org.name}/teams/${team.name}/members/${l}`, { role: 'maintainer' })).status, 404);
      assert.equal((await same('DELETE', (l) => `/api/orgs/${org.name}/teams/${team.name}/members/${l}`)).status, 404);
      // Creating a team with a maintainer: the same answer even when the team name is also taken.
      let n = 0;
      const teamWith = async (login: string, name: string) => send('POST', `/api/orgs/${org.name}/teams`, { token: admin.token, body: { name, maintainer: login } });
      for (const name of [team.name, `fresh${n++}`]) {
        const a = await teamWith(nonMember.user.login, name);
        const b = await teamWith(unknown, name);
        assert.equal(a.status, b.status, `${a.text} / ${b.text}`);
        assert.equal(a.body.reason, b.body.reason);
        assert.equal(a.body.message.replace(nonMember.user.login, 'L'), b.body.message.replace(unknown, 'L'));
      }
    });
  });
}
