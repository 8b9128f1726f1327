import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { databaseKinds } from './support/databases.js';
import { makeOrg, makePerson, startHarness, uniqueName, type Harness } from './support/harness.js';
import { GRANT, ID_TOKEN, ORG_TYPE } from './support/oidc-fixture.js';

/**
 * Behind a TLS-terminating reverse proxy (TESSERA_TRUST_PROXY): the client's address and protocol
 * come from X-Forwarded-For / -Proto when, and only when, the connection comes from a trusted
 * proxy. They decide the audit log's source address, the per-address throttles and whether the
 * console cookie is the Secure, __Host- prefixed one.
 */

const PROXY = '10.1.2.3';
const HOST = 'tessera.example.com';

for (const kind of databaseKinds()) {
  describe(`behind a reverse proxy (${kind})`, () => {
    let trusting: Harness;
    let plain: Harness;
    const password = 'correct horse battery staple';
    let login: string;

    before(async () => {
      trusting = await startHarness(kind, { trustProxy: [PROXY], exchangeRefusalLimit: { perAddress: 2, windowMs: 60_000 } });
      plain = await startHarness(kind, { exchangeRefusalLimit: { perAddress: 2, windowMs: 60_000 } });
      login = uniqueName('proxied');
      for (const h of [trusting, plain]) {
        h.secrets.add(password);
        await createUser(h.deps, NO_REQUEST, SYSTEM, { login, email: 'p@example.com', password });
      }
    });
    after(async () => {
      await trusting.close();
      await plain.close();
    });

    const signIn = (h: Harness, from: string, headers: Record<string, string>): Promise<LightMyRequestResponse> =>
      h.app.inject({
        method: 'POST',
        url: '/api/session',
        remoteAddress: from,
        headers: { host: HOST, origin: `https://${HOST}`, 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ login, password }),
      });

    it('a trusted proxy passes on the client address and https: the cookie is __Host- and Secure, the audit names the client', async () => {
      const res = await signIn(trusting, PROXY, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
      assert.equal(res.statusCode, 200, res.body);
      const cookie = String(res.headers['set-cookie']);
      trusting.secrets.add(cookie.split(';')[0]!.split('=')[1]!);
      assert.match(cookie, /^__Host-tessera_session=/);
      assert.match(cookie, /; Secure/i);
      const events = await trusting.deps.store.listAudit(null, 100);
      assert.equal(events.find((e) => e.action === 'session_created')?.sourceIp, '203.0.113.9');
    });

    it('forwarded headers from anyone else are ignored', async () => {
      const res = await signIn(plain, PROXY, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', origin: `http://${HOST}` });
      assert.equal(res.statusCode, 200, res.body);
      const cookie = String(res.headers['set-cookie']);
      plain.secrets.add(cookie.split(';')[0]!.split('=')[1]!);
      assert.match(cookie, /^tessera_session=/);
      assert.doesNotMatch(cookie, /; Secure/i);
      const untrusted = await signIn(trusting, '198.51.100.7', { 'x-forwarded-for': '203.0.113.10', 'x-forwarded-proto': 'https', origin: `http://${HOST}` });
      assert.equal(untrusted.statusCode, 200, untrusted.body);
      const untrustedCookie = String(untrusted.headers['set-cookie']);
      trusting.secrets.add(untrustedCookie.split(';')[0]!.split('=')[1]!);
      assert.match(untrustedCookie, /^tessera_session=/);
      const events = await trusting.deps.store.listAudit(null, 100);
      assert.ok(events.some((e) => e.action === 'session_created' && e.sourceIp === '198.51.100.7'), 'the connection address, not the header');
    });

    it('the refused-exchange throttle counts each client behind the proxy on its own', async () => {
      const owner = await makePerson(trusting);
      const org = await makeOrg(trusting, owner.user);
      const exchange = (client: string) =>
        trusting.app.inject({
          method: 'POST',
          url: '/api/oauth/token',
          remoteAddress: PROXY,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          payload: JSON.stringify({ grant_type: GRANT, audience: `urn:pulumi:org:${org.name}`, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: 'e30.e30.' }),
        });
      assert.equal((await exchange('203.0.113.20')).statusCode, 400);
      assert.equal((await exchange('203.0.113.20')).statusCode, 400);
      assert.equal((await exchange('203.0.113.20')).statusCode, 429);
      assert.equal((await exchange('203.0.113.21')).statusCode, 400, 'another client behind the same proxy is not slowed');
    });
  });
}
