import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { Organization } from '../src/domain/records.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { seedOrg, seedPerson, ServerPool, withServices, type SeededPerson } from './support/fault-db.js';
import { describeOutcome, send } from './support/fault-http.js';
import { ghClaims, GRANT, ID_TOKEN, makeSigningKey, ORG_TYPE, SUB, type SigningKey } from './support/oidc-fixture.js';
import type { ServerProcess } from './support/server-process.js';

// Catalog X09: an issuer's static key set replaced, or the issuer deleted, on node A; then an
// exchange on node B signed with the withdrawn key. Refused on every node at once: node B's key
// cache follows the issuer row it reads from the database on every exchange.

for (const kind of databaseKinds()) {
  describe(`X09: withdrawn issuer keys across nodes (${kind})`, () => {
    const pool = new ServerPool();
    let db: TestDatabase;
    let nodeA: ServerProcess;
    let nodeB: ServerProcess;
    let alice: SeededPerson;
    let org: Organization;
    const url = `http://127.0.0.1:9/x09-${randomUUID().slice(0, 8)}`;
    const jwts = new Set<string>();

    before(async () => {
      db = await createTestDatabase(kind);
      ({ alice, org } = await withServices(db.url, async (s) => {
        const a = await seedPerson(s, 1);
        return { alice: a, org: await seedOrg(s, a.user) };
      }));
      const env = { TESSERA_LOG_LEVEL: 'info', TESSERA_ALLOW_LOOPBACK_ISSUERS: '1' };
      nodeA = await pool.start(db.url, env);
      nodeB = await pool.start(db.url, env);
    });
    after(async () => {
      const logs = nodeA.output() + nodeB.output();
      await pool.killAll();
      await db.drop();
      for (const jwt of jwts) assert.ok(!logs.includes(jwt), 'no JWT reached the logs');
    });

    const admin = () => alice.tokens[0]!.value;
    const sign = async (key: SigningKey): Promise<string> => {
      const claims = ghClaims(url, org.name, Math.floor(Date.now() / 1000));
      const jwt = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.jwk.kid! }).sign(key.privateKey);
      jwts.add(jwt);
      return jwt;
    };
    const exchange = async (node: ServerProcess, key: SigningKey) =>
      send(node.url, 'POST', '/api/oauth/token', {
        body: { grant_type: GRANT, audience: `urn:pulumi:org:${org.name}`, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: await sign(key) },
      });
    const denials = () =>
      withServices(db.url, async (s) => (await s.deps.store.listAudit(org.id, 10_000)).filter((e) => e.action === 'oidc_token_exchange_denied').map((e) => e.details?.reason as string));
    const minted = () => withServices(db.url, async (s) => (await s.deps.store.listAudit(org.id, 10_000)).filter((e) => e.action === 'oidc_token_exchanged').length);

    it('X09: a static key set replaced on node A (even under the same kid) is refused on node B at once, and so is a deleted issuer', async () => {
      const first = await makeSigningKey('ES256', 'key-1');
      const second = await makeSigningKey('ES256', 'key-2');
      // A new key pair published under the withdrawn key's kid: a cache keyed by kid alone would keep the old key.
      const sameKid = await makeSigningKey('ES256', 'key-1');

      const reg = await send(nodeA.url, 'POST', `/api/orgs/${org.name}/oidc/issuers`, { token: admin(), body: { name: 'static', url, jwks: { keys: [first.jwk] } } });
      assert.equal(reg.status, 200, describeOutcome(reg));
      const issuerId = reg.json.id as string;
      const policy = await send(nodeA.url, 'GET', `/api/orgs/${org.name}/auth/policies/oidcissuers/${issuerId}`, { token: admin() });
      const saved = await send(nodeA.url, 'PATCH', `/api/orgs/${org.name}/auth/policies/${policy.json.id}`, {
        token: admin(),
        body: { policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }] },
      });
      assert.equal(saved.status, 200, describeOutcome(saved));

      // Both nodes load and cache the first key.
      for (const node of [nodeA, nodeB]) {
        const ok = await exchange(node, first);
        assert.equal(ok.status, 200, describeOutcome(ok));
      }
      const mintedBefore = await minted();

      // Node A replaces the key set.
      const replaced = await send(nodeA.url, 'PATCH', `/api/orgs/${org.name}/oidc/issuers/${issuerId}`, { token: admin(), body: { name: 'static', jwks: { keys: [second.jwk] } } });
      assert.equal(replaced.status, 200, describeOutcome(replaced));
      // At once, 40 exchanges at the same moment on node B with the withdrawn key: all refused.
      const burst = await Promise.all(Array.from({ length: 40 }, () => exchange(nodeB, first)));
      for (const o of burst) {
        assert.equal(o.status, 400, describeOutcome(o));
        assert.equal(o.json.error, 'invalid_request');
      }
      assert.equal(await minted(), mintedBefore, 'nothing was minted with the withdrawn key');
      const afterBurst = await denials();
      assert.equal(afterBurst.filter((r) => r === 'no_matching_key').length, 40, 'each refusal audited with its reason');
      // The new key works on node B, which reloaded from the row it read.
      const withNew = await exchange(nodeB, second);
      assert.equal(withNew.status, 200, describeOutcome(withNew));

      // Replaced again with a different key under the old kid: node B must not verify with what it cached for that kid.
      const again = await send(nodeA.url, 'PATCH', `/api/orgs/${org.name}/oidc/issuers/${issuerId}`, { token: admin(), body: { name: 'static', jwks: { keys: [sameKid.jwk] } } });
      assert.equal(again.status, 200, describeOutcome(again));
      const staleKid = await exchange(nodeB, first);
      assert.equal(staleKid.status, 400, describeOutcome(staleKid));
      assert.equal((await denials())[0], 'signature_invalid');
      const withdrawnSecond = await exchange(nodeB, second);
      assert.equal(withdrawnSecond.status, 400, describeOutcome(withdrawnSecond));
      assert.equal((await exchange(nodeB, sameKid)).status, 200);

      // Node A deletes the issuer: node B refuses its tokens at once, whatever it cached.
      const del = await send(nodeA.url, 'DELETE', `/api/orgs/${org.name}/oidc/issuers/${issuerId}`, { token: admin() });
      assert.equal(del.status, 204, describeOutcome(del));
      const mintedAtDelete = await minted();
      for (const node of [nodeB, nodeA]) {
        const gone = await exchange(node, sameKid);
        assert.equal(gone.status, 400, describeOutcome(gone));
        assert.match(gone.json.error_description, /not registered/);
      }
      assert.equal((await denials()).slice(0, 2).join(','), 'issuer_not_registered,issuer_not_registered');
      assert.equal(await minted(), mintedAtDelete);
    });
  });
}
