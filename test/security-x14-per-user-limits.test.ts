import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ORG_CREATION_LIMIT } from '../src/domain/orgs/creation-throttle.js';
import { DEFAULT_REGISTRATION_LIMIT } from '../src/domain/oidc/registration-throttle.js';
import { databaseKinds } from './support/databases.js';
import { addMember, makePerson, startHarness, uniqueName, type Harness } from './support/harness.js';
import { listen, LOOPBACK, request, statusCounts } from './support/live-http.js';

for (const kind of databaseKinds()) {
  describe(`X14: one user cannot multiply per-organization throttles (${kind})`, () => {
    let h: Harness;
    let base: string;

    before(async () => {
      h = await startHarness(kind, { trustProxy: [LOOPBACK], allowLoopbackIssuers: true });
      base = await listen(h);
    });
    after(async () => h.close());

    it('X14: per-user limits on organization creation and outbound fetches (registrations, thumbprint regeneration)', async () => {
      const mallory = await makePerson(h);
      const limit = DEFAULT_ORG_CREATION_LIMIT.perUser;
      // 40 organizations at once: exactly the per-user limit is created.
      const names = Array.from({ length: 40 }, () => uniqueName('shell'));
      const created = await Promise.all(names.map((name) => request(base, 'POST', '/api/orgs', { token: mallory.token, body: { name } })));
      const counts = statusCounts(created);
      assert.equal(counts[429], 40 - limit, JSON.stringify(counts));
      assert.equal(created.length - (counts[429] ?? 0), limit);
      for (const r of created.filter((x) => x.status === 429)) {
        assert.equal(r.body.reason, 'too_many_organizations');
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      }
      const made = names.filter((_, i) => created[i]!.status < 300);
      for (const name of names) assert.equal(!!(await h.deps.store.findOrgByName(name)), made.includes(name), name);
      const audit = (await h.deps.store.listAudit(null, 100_000)).filter((e) => e.action === 'organization_created' && e.actorUserId === mallory.user.id);
      assert.equal(audit.length, limit);
      // Another person is not affected.
      const alice = await makePerson(h);
      assert.ok((await request(base, 'POST', '/api/orgs', { token: alice.token, body: { name: uniqueName('alice') } })).status < 300);

      // Outbound fetches: the per-user limit spans every organization the user administers.
      const [org1, org2] = made as [string, string];
      const perOrg = DEFAULT_REGISTRATION_LIMIT.perOrg;
      const perUser = DEFAULT_REGISTRATION_LIMIT.perUser;
      const staticIssuer = await request(base, 'POST', `/api/orgs/${org2}/oidc/issuers`, {
        token: mallory.token,
        body: { name: 'static', url: 'http://127.0.0.1:9/static', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1', alg: 'ES256', use: 'sig' }] } },
      });
      assert.equal(staticIssuer.status, 200, JSON.stringify(staticIssuer.body));
      const first = await Promise.all(Array.from({ length: perOrg }, (_, n) => request(base, 'POST', `/api/orgs/${org1}/oidc/issuers`, { token: mallory.token, body: { name: `a${n}`, url: `https://10.2.0.${n + 1}` } })));
      assert.deepEqual(statusCounts(first), { 400: perOrg });
      const left = perUser - perOrg - 1;
      const second = await Promise.all(Array.from({ length: 15 }, (_, n) => request(base, 'POST', `/api/orgs/${org2}/oidc/issuers`, { token: mallory.token, body: { name: `b${n}`, url: `https://10.3.0.${n + 1}` } })));
      assert.deepEqual(statusCounts(second), { 400: left, 429: 15 - left });
      for (const r of second.filter((x) => x.status === 429)) assert.equal(r.body.reason, 'too_many_registrations');
      // Regenerating thumbprints fetches too: refused for this person …
      const regen = await request(base, 'POST', `/api/orgs/${org2}/oidc/issuers/${staticIssuer.body.id as string}/regenerate-thumbprints`, { token: mallory.token });
      assert.equal(regen.status, 429, JSON.stringify(regen.body));
      assert.equal(regen.body.reason, 'too_many_fetches');
      // … while another admin of org2, whose organization is below its own limit, may still register.
      await addMember(h, (await h.deps.store.findOrgByName(org2))!, alice.user, 'admin');
      const byAlice = await request(base, 'POST', `/api/orgs/${org2}/oidc/issuers`, { token: alice.token, body: { name: 'alice-1', url: 'https://10.4.0.1' } });
      assert.equal(byAlice.status, 400);
      assert.equal(byAlice.body.reason, 'issuer_url_refused');
      // Nothing was registered by the refused attempts.
      assert.equal((await h.deps.store.listIssuers((await h.deps.store.findOrgByName(org1))!.id)).length, 0);
      assert.equal((await h.deps.store.listIssuers((await h.deps.store.findOrgByName(org2))!.id)).length, 1);
    });
  });
}
