import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { components } from '../src/generated/openapi.js';
import { databaseKinds } from './support/databases.js';
import { addMember, call, expectError, makeOrg, makePerson, makeTeam, makeToken, startHarness, uniqueName, type Harness } from './support/harness.js';

type WireToken = components['schemas']['AccessToken'] & { team: string | null };
interface Expirations {
  within: number;
  expiring: WireToken[];
  noExpiry: WireToken[];
  unused: WireToken[];
  limit: number;
  truncated: { expiring: boolean; noExpiry: boolean; unused: boolean };
}

const DAY = 86_400;

for (const kind of databaseKinds()) {
  describe(`token expirations API (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h.close());

    async function expirations(org: string, token: string, query = ''): Promise<Expirations> {
      const res = await call(h, 'GET', `/api/orgs/${org}/tokens/expirations${query ? `?${query}` : ''}`, { token });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    }
    const names = (list: WireToken[]) => list.map((t) => t.name);

    /** An organization with an admin, a member, a team, and no tokens of its own yet. */
    async function world() {
      const alice = await makePerson(h);
      const bob = await makePerson(h);
      const outsider = await makePerson(h);
      const org = await makeOrg(h, alice.user);
      await addMember(h, org, bob.user, 'member');
      const team = await makeTeam(h, org, 'platform');
      const orgTok = (name: string, input: { expires?: number; admin?: boolean } = {}) => makeToken(h, alice.principal, { type: 'organization', org: org.name }, { name, ...input });
      const teamTok = (name: string, input: { expires?: number } = {}) => makeToken(h, alice.principal, { type: 'team', org: org.name, team: team.name }, { name, ...input });
      return { alice, bob, outsider, org, team, orgTok, teamTok };
    }

    it('is for organization admins: a person or an admin organization token; others 403, outsiders 404', async () => {
      const w = await world();
      const adminTok = await w.orgTok('admin-ot', { admin: true });
      const plainTok = await w.orgTok('plain-ot');
      const teamTok = await w.teamTok('team-t');
      const url = `/api/orgs/${w.org.name}/tokens/expirations`;
      assert.equal((await call(h, 'GET', url, { token: w.alice.token })).statusCode, 200);
      assert.equal((await call(h, 'GET', url, { token: adminTok.value })).statusCode, 200);
      expectError(await call(h, 'GET', url, { token: w.bob.token }), 403, 'forbidden');
      expectError(await call(h, 'GET', url, { token: plainTok.value }), 403, 'forbidden');
      expectError(await call(h, 'GET', url, { token: teamTok.value }), 403, 'forbidden');
      expectError(await call(h, 'GET', url, { token: w.outsider.token }), 404, 'org_not_found');
      expectError(await call(h, 'GET', `/api/orgs/${uniqueName('nope')}/tokens/expirations`, { token: w.alice.token }), 404, 'org_not_found');
      expectError(await call(h, 'GET', url), 401, 'token_missing');
    });

    it('lists active tokens expiring within 7, 30 or 90 days, soonest first, exact at the boundaries', async () => {
      const w = await world();
      const now = h.clock.nowSec();
      const e7Expires = now + 7 * DAY;
      await w.orgTok('e7', { expires: e7Expires });
      await w.orgTok('e7-plus', { expires: now + 7 * DAY + 1 });
      await w.orgTok('e30', { expires: now + 30 * DAY });
      await w.orgTok('e30-plus', { expires: now + 30 * DAY + 1 });
      await w.orgTok('e90', { expires: now + 90 * DAY });
      await w.orgTok('e90-plus', { expires: now + 90 * DAY + 1 });
      await w.teamTok('team-1d', { expires: now + DAY });
      const revoked = await w.orgTok('revoked-1d', { expires: now + DAY });
      assert.equal((await call(h, 'DELETE', `/api/orgs/${w.org.name}/tokens/${revoked.id}`, { token: w.alice.token })).statusCode, 204);
      await makeToken(h, w.alice.principal, { type: 'personal' }, { expires: now + DAY }); // personal tokens are not the organization's
      const other = await makeOrg(h, w.alice.user);
      await makeToken(h, w.alice.principal, { type: 'organization', org: other.name }, { name: 'elsewhere', expires: now + DAY });

      const seven = await expirations(w.org.name, w.alice.token, 'within=7');
      assert.equal(seven.within, 7);
      assert.deepEqual(names(seven.expiring), ['team-1d', 'e7']);
      assert.deepEqual(names((await expirations(w.org.name, w.alice.token)).expiring), ['team-1d', 'e7', 'e7-plus', 'e30'], 'the default window is 30 days');
      assert.equal((await expirations(w.org.name, w.alice.token)).within, 30);
      assert.deepEqual(names((await expirations(w.org.name, w.alice.token, 'within=90')).expiring), ['team-1d', 'e7', 'e7-plus', 'e30', 'e30-plus', 'e90']);
      assert.ok(seven.expiring.every((t) => t.status === 'active'));
      assert.deepEqual(
        seven.expiring.map((t) => [t.type, t.team]),
        [
          ['team', 'platform'],
          ['organization', null],
        ],
      );

      const start = h.clock.now();
      try {
        // one second later the window has moved: e7-plus now expires exactly 7 days out
        h.clock.set((now + 1) * 1000);
        assert.deepEqual(names((await expirations(w.org.name, w.alice.token, 'within=7')).expiring), ['team-1d', 'e7', 'e7-plus']);
        // the last second of e7's life, then its expiry: an expired token is in no list
        h.clock.set((e7Expires - 1) * 1000);
        assert.deepEqual(names((await expirations(w.org.name, w.alice.token, 'within=7')).expiring), ['e7', 'e7-plus']);
        h.clock.set(e7Expires * 1000);
        const atExpiry = await expirations(w.org.name, w.alice.token, 'within=7');
        assert.deepEqual(names(atExpiry.expiring), ['e7-plus']);
        assert.ok(![...atExpiry.noExpiry, ...atExpiry.unused].some((t) => t.name === 'e7'));
      } finally {
        h.clock.set(start);
      }
    });

    it('lists tokens without expiry and tokens unused for 90 days, with the last use this node has not written yet', async () => {
      const w = await world();
      const now = h.clock.nowSec();
      h.clock.advance(1000);
      await w.orgTok('forever-old');
      h.clock.advance(1000);
      const used = await w.teamTok('forever-used');
      h.clock.advance(1000);
      await w.orgTok('expiring-soon', { expires: now + 10 * DAY });
      const gone = await w.orgTok('forever-revoked');
      assert.equal((await call(h, 'DELETE', `/api/orgs/${w.org.name}/tokens/${gone.id}`, { token: w.alice.token })).statusCode, 204);

      const first = await expirations(w.org.name, w.alice.token);
      assert.deepEqual(names(first.noExpiry), ['forever-old', 'forever-used'], 'oldest first, revoked left out');
      assert.deepEqual(names(first.unused), ['forever-old', 'forever-used', 'expiring-soon'], 'never used counts as unused');
      assert.equal(first.noExpiry[1]!.team, 'platform');

      // a use counts at once, before the tracker writes it
      const usedAt = h.clock.nowSec();
      assert.equal((await call(h, 'GET', '/api/user', { token: used.value })).statusCode, 200);
      const afterUse = await expirations(w.org.name, w.alice.token);
      assert.deepEqual(names(afterUse.unused), ['forever-old', 'expiring-soon']);
      assert.equal(afterUse.noExpiry.find((t) => t.id === used.id)!.lastUsed, usedAt);
      await h.deps.lastUsed.flush();

      const start = h.clock.now();
      try {
        // exactly 90 days after the use it is not yet unused; one second later it is
        h.clock.set((usedAt + 90 * DAY) * 1000);
        const at90 = await expirations(w.org.name, w.alice.token);
        assert.deepEqual(names(at90.unused), ['forever-old'], 'expiring-soon has expired by now');
        h.clock.set((usedAt + 90 * DAY + 1) * 1000);
        const past90 = await expirations(w.org.name, w.alice.token);
        assert.deepEqual(names(past90.unused), ['forever-old', 'forever-used'], 'never used first, then least recently used');
        assert.equal(past90.unused[1]!.lastUsed, usedAt);
      } finally {
        h.clock.set(start);
      }
    });

    it('answers each token in the AccessToken shape of the token lists, plus its team', async () => {
      const w = await world();
      const orgT = await w.orgTok('shape-org', { expires: h.clock.nowSec() + DAY, admin: true });
      const teamT = await w.teamTok('shape-team', { expires: h.clock.nowSec() + 2 * DAY });
      const res = await expirations(w.org.name, w.alice.token);
      const orgList = (await call(h, 'GET', `/api/orgs/${w.org.name}/tokens`, { token: w.alice.token })).json().tokens as WireToken[];
      const teamList = (await call(h, 'GET', `/api/orgs/${w.org.name}/teams/platform/tokens`, { token: w.alice.token })).json().tokens as WireToken[];
      assert.deepEqual(res.expiring[0], { ...orgList.find((t) => t.id === orgT.id)!, team: null });
      assert.deepEqual(res.expiring[1], { ...teamList.find((t) => t.id === teamT.id)!, team: 'platform' });
      assert.equal(res.limit, 1000);
      assert.deepEqual(res.truncated, { expiring: false, noExpiry: false, unused: false });
      const body = JSON.stringify(res);
      assert.ok(!body.includes(orgT.value) && !body.includes(teamT.value), 'never a token value');
    });

    it('bounds each list at 1,000 tokens and says so', async () => {
      const w = await world();
      const createdAt = h.clock.now();
      await h.deps.store.transaction(async (tx) => {
        for (let i = 0; i < 1001; i++) {
          await tx.insertToken({
            id: randomUUID(),
            type: 'organization',
            userId: null,
            orgId: w.org.id,
            teamId: null,
            name: `bulk-${i}`,
            description: '',
            tokenHash: randomBytes(32).toString('hex'),
            displayValue: 'tsro_…bulk',
            admin: false,
            source: 'api',
            createdAt: createdAt + i,
            createdBy: w.alice.user.login,
            createdByUserId: w.alice.user.id,
            expires: 0,
            lastUsed: 0,
            revokedAt: 0,
            oidc: null,
            boundOrgId: null,
          });
        }
      });
      const res = await expirations(w.org.name, w.alice.token);
      assert.equal(res.noExpiry.length, 1000);
      assert.equal(res.unused.length, 1000);
      assert.deepEqual(res.truncated, { expiring: false, noExpiry: true, unused: true });
      assert.equal(res.noExpiry[0]!.name, 'bulk-0');
      assert.equal(res.noExpiry[999]!.name, 'bulk-999');
    });

    it('refuses a window other than 7, 30 or 90 with 400', async () => {
      const w = await world();
      for (const q of ['within=14', 'within=0', 'within=-7', 'within=abc', 'within=7.5', 'within=']) {
        expectError(await call(h, 'GET', `/api/orgs/${w.org.name}/tokens/expirations?${q}`, { token: w.alice.token }), 400, 'invalid_request');
      }
      // the refusal of a non-admin comes first for a well-formed query
      expectError(await call(h, 'GET', `/api/orgs/${w.org.name}/tokens/expirations?within=7`, { token: w.bob.token }), 403, 'forbidden');
    });
  });
}
