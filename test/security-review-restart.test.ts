import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { Organization } from '../src/domain/records.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { ServerPool, seedOrg, seedPerson, withServices, type SeededPerson } from './support/fault-db.js';
import { describeOutcome, send } from './support/fault-http.js';
import { ghClaims, GRANT, ID_TOKEN, makeSigningKey, ORG_TYPE, SUB, type SigningKey } from './support/oidc-fixture.js';

/**
 * F21 beyond the sign-in throttle: after a kill -9 and a restart of the real server process, the
 * in-memory key cache refills from the database, the single-use record of an exchanged JWT (kept
 * in the database) still refuses its replay, and what was minted before still works.
 */

for (const kind of databaseKinds()) {
  describe(`security review: restart wipes memory, not decisions (${kind})`, () => {
    const pool = new ServerPool();
    let db: TestDatabase;
    let admin: SeededPerson;
    let org: Organization;
    let key: SigningKey;
    const url = 'https://93.184.216.34/f21';

    before(async () => {
      db = await createTestDatabase(kind);
      ({ admin, org } = await withServices(db.url, async (s) => {
        const a = await seedPerson(s, 1);
        return { admin: a, org: await seedOrg(s, a.user) };
      }));
      key = await makeSigningKey('ES256');
    });
    after(async () => {
      await pool.killAll();
      await db.drop();
    });

    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'ES256', kid: key.jwk.kid! }).sign(key.privateKey);
    const claims = () => ghClaims(url, org.name, Math.floor(Date.now() / 1000)) as Record<string, unknown>;
    const exchange = (base: string, jwt: string) =>
      send(base, 'POST', '/api/oauth/token', { body: { grant_type: GRANT, audience: `urn:pulumi:org:${org.name}`, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: jwt } });

    it('F21: after kill -9 and a restart, keys reload from the database, an exchanged JWT stays spent, and minted tokens still work', async () => {
      const first = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      const token = admin.tokens[0]!.value;
      const reg = await send(first.url, 'POST', `/api/orgs/${org.name}/oidc/issuers`, { token, body: { name: 'f21', url, jwks: { keys: [key.jwk] } } });
      assert.equal(reg.status, 200, describeOutcome(reg));
      const policy = await send(first.url, 'GET', `/api/orgs/${org.name}/auth/policies/oidcissuers/${reg.json.id}`, { token });
      const saved = await send(first.url, 'PATCH', `/api/orgs/${org.name}/auth/policies/${policy.json.id}`, {
        token,
        body: { policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }] },
      });
      assert.equal(saved.status, 200, describeOutcome(saved));

      const jwt = await sign(claims());
      const minted = await exchange(first.url, jwt);
      assert.equal(minted.status, 200, describeOutcome(minted));
      await first.kill();

      const second = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      const replay = await exchange(second.url, jwt);
      assert.equal(replay.status, 400, describeOutcome(replay));
      assert.equal(replay.json.error, 'invalid_request');
      assert.match(replay.json.error_description, /already been exchanged/);
      const fresh = await exchange(second.url, await sign(claims()));
      assert.equal(fresh.status, 200, `the key cache refills from the database: ${describeOutcome(fresh)}`);
      const me = await send(second.url, 'GET', '/api/user', { token: minted.json.access_token });
      assert.equal(me.status, 200, 'a token minted before the crash still works');
      for (const out of [first.output(), second.output()]) {
        assert.ok(!out.includes(jwt.split('.')[2]!) && !out.includes(minted.json.access_token), 'no secret in the process output');
      }
    });
  });
}
