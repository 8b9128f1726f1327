import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { OAuth2Server } from 'oauth2-mock-server';
import type { components } from '../src/generated/openapi.js';
import type { Resolver } from '../src/domain/oidc/fetch-issuer-document.js';
import { createTestDatabase, databaseKinds } from './support/databases.js';
import { startServer } from './support/server-process.js';
import { addMember, call, expectError, makeOrg, makePerson, makeToken, startHarness, type Harness } from './support/harness.js';
import { discoveryHandler, FIXTURE_CERT, FIXTURE_THUMBPRINT, startLocalServer, startMockIssuer, type LocalServer } from './support/issuers.js';

type WireIssuer = components['schemas']['OidcIssuer'];

/** Host names in these tests: localhost is loopback; *.example names look public (no socket is ever opened to them). */
const resolver: Resolver = async (host) => {
  if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  if (host === 'internal.example') return [{ address: '10.20.30.40', family: 4 }];
  if (host.endsWith('.example')) return [{ address: '93.184.216.34', family: 4 }];
  throw new Error('unknown host');
};

const ALLOW_MAIN = [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: 'repo:acme/app:ref:refs/heads/main', aud: 'urn:pulumi:org:acme' } }];

for (const kind of databaseKinds()) {
  describe(`OIDC issuers and auth policies API (${kind})`, () => {
    let h: Harness;
    let mock: OAuth2Server;
    let tls: LocalServer;
    let plain: LocalServer;
    let admin: Awaited<ReturnType<typeof makePerson>>;
    let orgName: string;
    let orgId: string;

    before(async () => {
      h = await startHarness(kind, { allowLoopbackIssuers: true, issuerFetch: { resolve: resolver, ca: FIXTURE_CERT } });
      mock = await startMockIssuer();
      const mockJwks = () => ({ keys: mock.issuer.keys.toJSON() });
      tls = await startLocalServer({ tls: true });
      tls.handler = discoveryHandler(() => tls.origin, mockJwks);
      plain = await startLocalServer();
      admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      orgName = org.name;
      orgId = org.id;
    });
    after(async () => {
      await mock.stop();
      await tls.close();
      await plain.close();
      await h.close();
    });

    // Each test starts a fresh registration window (20 per organization per hour, S05).
    beforeEach(() => h.clock.advance(3600_000));

    const issuersUrl = () => `/api/orgs/${orgName}/oidc/issuers`;
    const register = (body: unknown, token = admin.token, org = orgName) => call(h, 'POST', `/api/orgs/${org}/oidc/issuers`, { token, body });
    const issuerCount = async () => (await h.deps.store.listIssuers(orgId)).length;

    it('registers a real loopback issuer (oauth2-mock-server): discovery, keys, shape, policy, audit', async () => {
      const url = mock.issuer.url!;
      const res = await register({ name: 'github-actions', url });
      assert.equal(res.statusCode, 200, res.body);
      const issuer = res.json() as WireIssuer;
      assert.deepEqual(
        { ...issuer, id: typeof issuer.id },
        {
          id: 'string',
          name: 'github-actions',
          url,
          issuer: url,
          thumbprints: [],
          maxExpiration: 90000,
          created: new Date(h.clock.now()).toISOString(),
          modified: new Date(h.clock.now()).toISOString(),
          lastUsed: 0,
        },
      );
      const policy = await call(h, 'GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${issuer.id}`, { token: admin.token });
      assert.equal(policy.statusCode, 200, policy.body);
      assert.deepEqual({ ...(policy.json() as object), id: typeof policy.json().id }, { id: 'string', version: 1, policies: [], created: issuer.created, modified: issuer.created });
      const audit = (await h.deps.store.listAudit(orgId, 10)).find((e) => e.action === 'oidc_issuer_created' && e.targetId === issuer.id);
      assert.ok(audit, 'registration is audited');
      assert.equal(audit.actorLogin, admin.user.login);
      assert.equal(audit.targetName, 'github-actions');
      assert.equal((audit.details as { url: string }).url, url);

      const list = await call(h, 'GET', issuersUrl(), { token: admin.token });
      assert.equal(list.statusCode, 200);
      assert.deepEqual((list.json().oidcIssuers as WireIssuer[]).map((i) => i.id), [issuer.id]);
      const one = await call(h, 'GET', `${issuersUrl()}/${issuer.id}`, { token: admin.token });
      assert.deepEqual(one.json(), issuer);
    });

    it('records and pins the TLS certificate of an https issuer; a wrong pin is refused', async () => {
      const res = await register({ name: 'tls', url: `${tls.origin}/a` });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().thumbprints, [FIXTURE_THUMBPRINT]);

      const before = await issuerCount();
      const wrong = await register({ name: 'tls-wrong', url: `${tls.origin}/b`, thumbprints: ['AB:'.repeat(31) + 'AB'] });
      expectError(wrong, 400, 'issuer_discovery_failed');
      assert.match(wrong.json().message, /thumbprints/);
      assert.equal(await issuerCount(), before, 'nothing stored');

      const pinned = await register({ name: 'tls-pinned', url: `${tls.origin}/c`, thumbprints: [FIXTURE_THUMBPRINT.toUpperCase()] });
      assert.equal(pinned.statusCode, 200, pinned.body);
      assert.deepEqual(pinned.json().thumbprints, [FIXTURE_THUMBPRINT], 'normalised to lowercase hex');
    });

    it('regenerate-thumbprints records the certificate now serving the issuer', async () => {
      const created = (await register({ name: 'tls-regen', url: `${tls.origin}/regen` })).json() as WireIssuer;
      const patched = await call(h, 'PATCH', `${issuersUrl()}/${created.id}`, { token: admin.token, body: { name: 'tls-regen', thumbprints: ['0'.repeat(64)] } });
      assert.deepEqual(patched.json().thumbprints, ['0'.repeat(64)]);
      h.clock.advance(1000);
      const res = await call(h, 'POST', `${issuersUrl()}/${created.id}/regenerate-thumbprints`, { token: admin.token });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().thumbprints, [FIXTURE_THUMBPRINT]);
      assert.equal(res.json().modified, new Date(h.clock.now()).toISOString());
      const audit = (await h.deps.store.listAudit(orgId, 5)).find((e) => e.action === 'oidc_issuer_thumbprints_regenerated');
      assert.deepEqual(audit?.details, { before: ['0'.repeat(64)], after: [FIXTURE_THUMBPRINT] });
    });

    it('S01: refuses non-https and internal URLs with 400 issuer_url_refused, storing nothing', async () => {
      const before = await issuerCount();
      const urls = [
        'http://169.254.169.254/latest/meta-data',
        'https://169.254.169.254',
        'https://10.0.0.1',
        'https://[::ffff:127.0.0.1]'.replace('127.0.0.1', '10.0.0.1'),
        'https://2130706433'.replace('2130706433', '167772161'),
        'file:///etc/passwd',
        'gopher://example.com',
        'http://example.com',
        'https://[fd00:ec2::254]',
      ];
      for (const [n, url] of urls.entries()) {
        const res = await register({ name: `bad-${n}`, url });
        expectError(res, 400, 'issuer_url_refused');
      }
      assert.equal(await issuerCount(), before);
    });

    it('S02: refuses a public-looking name that resolves to a private address', async () => {
      expectError(await register({ name: 'internal', url: 'https://internal.example' }), 400, 'issuer_url_refused');
    });

    it('S03: a discovery document naming another issuer is 400 issuer_mismatch', async () => {
      plain.handler = discoveryHandler(
        () => plain.origin,
        () => ({ keys: mock.issuer.keys.toJSON() }),
        () => 'https://token.actions.githubusercontent.com',
      );
      const res = await register({ name: 'mismatch', url: plain.origin });
      expectError(res, 400, 'issuer_mismatch');
      // A trailing slash is a different issuer, too.
      plain.handler = discoveryHandler(() => plain.origin, () => ({ keys: mock.issuer.keys.toJSON() }));
      expectError(await register({ name: 'slash', url: `${plain.origin}/` }), 400, 'issuer_mismatch');
    });

    it('S04: a jwks_uri pointing at an internal address gets the same refusal', async () => {
      plain.handler = (req, res) => {
        if (req.url?.endsWith('/.well-known/openid-configuration')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: `${plain.origin}/s04`, jwks_uri: 'http://169.254.169.254/keys' }));
        } else res.writeHead(404).end();
      };
      expectError(await register({ name: 's04', url: `${plain.origin}/s04` }), 400, 'issuer_url_refused');
    });

    it('K02, K05 at registration: an empty key set or a redirecting discovery is 400 issuer_discovery_failed', async () => {
      plain.handler = discoveryHandler(() => plain.origin, () => ({ keys: [] }));
      expectError(await register({ name: 'empty-keys', url: `${plain.origin}/k02` }), 400, 'issuer_discovery_failed');
      plain.handler = (_req, res) => res.writeHead(302, { location: mock.issuer.url! }).end();
      expectError(await register({ name: 'redirect', url: `${plain.origin}/k05` }), 400, 'issuer_discovery_failed');
    });

    it('a static jwks registers without any fetch; invalid sets and fields are 400', async () => {
      const requests = plain.requests.length;
      const jwks = { keys: mock.issuer.keys.toJSON() };
      const res = await register({ name: 'static', url: `${plain.origin}/static`, jwks, maxExpiration: 3600 });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().jwks, jwks);
      assert.equal(res.json().maxExpiration, 3600);
      assert.equal(plain.requests.length, requests, 'nothing fetched');
      expectError(await register({ name: 'static-bad', url: 'https://static.example', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 400, 'issuer_invalid');
      expectError(await register({ name: 'exp', url: 'https://static.example', jwks, maxExpiration: 10 }), 400, 'issuer_invalid');
      expectError(await register({ name: 'bell\u0007', url: 'https://static.example', jwks }), 400, 'issuer_invalid');
      expectError(await register({ name: 'tp', url: 'https://static.example', jwks, thumbprints: ['zz'] }), 400, 'issuer_invalid');
      expectError(await register({ name: 'extra', url: 'https://static.example', jwks, admin: true }), 400, 'invalid_request');
      expectError(await register({ name: 'static', url: 'https://other.example', jwks }), 409, 'issuer_taken');
      expectError(await register({ name: 'static-2', url: `${plain.origin}/static`, jwks }), 409, 'issuer_taken');
    });

    it('updates name, thumbprints, maxExpiration and jwks; the URL cannot change; delete removes the policy', async () => {
      const created = (await register({ name: 'to-update', url: `${mock.issuer.url}` .replace('localhost', '127.0.0.1'), jwks: { keys: mock.issuer.keys.toJSON() } })).json() as WireIssuer;
      assert.ok(created.id, JSON.stringify(created));
      h.clock.advance(5000);
      const url = `${issuersUrl()}/${created.id}`;
      const res = await call(h, 'PATCH', url, { token: admin.token, body: { name: 'renamed', maxExpiration: 7200, thumbprints: [FIXTURE_THUMBPRINT] } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().name, 'renamed');
      assert.equal(res.json().maxExpiration, 7200);
      assert.deepEqual(res.json().thumbprints, [FIXTURE_THUMBPRINT]);
      assert.equal(res.json().url, created.url);
      assert.equal(res.json().created, created.created);
      assert.equal(res.json().modified, new Date(h.clock.now()).toISOString());
      expectError(await call(h, 'PATCH', url, { token: admin.token, body: { name: 'renamed', url: 'https://elsewhere.example' } }), 400, 'issuer_invalid');
      expectError(await call(h, 'PATCH', url, { token: admin.token, body: { name: 'renamed', jwks: null } }), 400, 'issuer_invalid');
      expectError(await call(h, 'PATCH', url, { token: admin.token, body: { name: 'github-actions' } }), 409, 'issuer_taken');
      expectError(await call(h, 'PATCH', url, { token: admin.token, body: { maxExpiration: 100 } }), 400, 'invalid_request');
      assert.ok((await h.deps.store.listAudit(orgId, 5)).some((e) => e.action === 'oidc_issuer_updated' && e.targetId === created.id));

      const policyId = (await call(h, 'GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${created.id}`, { token: admin.token })).json().id as string;
      const del = await call(h, 'DELETE', url, { token: admin.token });
      assert.equal(del.statusCode, 204);
      expectError(await call(h, 'GET', url, { token: admin.token }), 404, 'issuer_not_found');
      expectError(await call(h, 'DELETE', url, { token: admin.token }), 404, 'issuer_not_found');
      expectError(await call(h, 'GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${created.id}`, { token: admin.token }), 404, 'issuer_not_found');
      expectError(await call(h, 'PATCH', `/api/orgs/${orgName}/auth/policies/${policyId}`, { token: admin.token, body: { policies: ALLOW_MAIN } }), 404, 'policy_not_found');
      assert.ok((await h.deps.store.listAudit(orgId, 5)).some((e) => e.action === 'oidc_issuer_deleted' && e.targetId === created.id));
    });

    it('replaces policies: empty list refused, version increments, warnings returned, audited', async () => {
      const created = (await register({ name: 'policies', url: `${plain.origin}/policies`, jwks: { keys: mock.issuer.keys.toJSON() } })).json() as WireIssuer;
      const policyUrl = `/api/orgs/${orgName}/auth/policies/oidcissuers/${created.id}`;
      const policyId = (await call(h, 'GET', policyUrl, { token: admin.token })).json().id as string;
      const patch = (body: unknown) => call(h, 'PATCH', `/api/orgs/${orgName}/auth/policies/${policyId}`, { token: admin.token, body });

      expectError(await patch({ policies: [] }), 400, 'policy_invalid');
      const invalid = await patch({ policies: [{ decision: 'maybe', tokenType: 'organization', authorizedPermissions: [], rules: {} }, { decision: 'allow', tokenType: 'team', rules: { sub: 'x' } }] });
      const body = expectError(invalid, 400, 'policy_invalid');
      assert.match(body.message, /policies\[0\]/);
      assert.match(body.message, /policies\[1\]/, 'every problem is reported at once');
      expectError(await patch({}), 400, 'invalid_request');
      assert.equal((await call(h, 'GET', policyUrl, { token: admin.token })).json().version, 1, 'refused saves change nothing');

      h.clock.advance(1000);
      const ok = await patch({ policies: ALLOW_MAIN });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().id, policyId);
      assert.equal(ok.json().version, 2);
      assert.deepEqual(ok.json().policies, ALLOW_MAIN);
      assert.deepEqual(ok.json().warnings, []);
      assert.equal(ok.json().modified, new Date(h.clock.now()).toISOString());

      const loose = await patch({ policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: ['admin'], rules: { repository_owner: 'acme' } }] });
      assert.equal(loose.statusCode, 200, loose.body);
      assert.equal(loose.json().version, 3);
      const codes = (loose.json().warnings as Array<{ code: string; policyIndex: number }>).map((w) => w.code);
      assert.ok(codes.includes('sub_unconstrained'), codes.join());
      assert.ok(codes.includes('admin_unpinned'), codes.join());
      const read = (await call(h, 'GET', policyUrl, { token: admin.token })).json();
      assert.equal(read.version, 3);
      assert.equal(read.warnings, undefined, 'GET returns the AuthPolicy without warnings');
      const audit = (await h.deps.store.listAudit(orgId, 5)).find((e) => e.action === 'auth_policy_updated');
      assert.deepEqual(audit?.details, { issuerId: created.id, version: 3, policies: 1 });

      // Concurrent saves get distinct versions.
      const versions = await Promise.all(Array.from({ length: 5 }, () => patch({ policies: ALLOW_MAIN })));
      assert.deepEqual(versions.map((r) => r.json().version).sort(), [4, 5, 6, 7, 8]);
    });

    it('Z07: admins only; CRUD and dry runs on another organization\'s issuers and policies are 404 (or the same refusal as for no such id); NC', async () => {
      const created = (await register({ name: 'z07', url: `${plain.origin}/z07`, jwks: { keys: mock.issuer.keys.toJSON() } })).json() as WireIssuer;
      const policyId = (await call(h, 'GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${created.id}`, { token: admin.token })).json().id as string;
      await call(h, 'PATCH', `/api/orgs/${orgName}/auth/policies/${policyId}`, { token: admin.token, body: { policies: ALLOW_MAIN } });
      const other = await makePerson(h);
      const otherOrg = await makeOrg(h, other.user);
      // NC: the issuer, its policy and the audit trail of both organizations, before and after.
      const otherAdminToken = await makeToken(h, other.principal, { type: 'organization', org: otherOrg.name }, { name: 'other-admin', admin: true });
      const state = async () =>
        JSON.stringify([
          (await call(h, 'GET', `${issuersUrl()}/${created.id}`, { token: admin.token })).json(),
          (await call(h, 'GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${created.id}`, { token: admin.token })).json(),
          (await h.deps.store.listAudit(orgId, 10_000)).length,
          (await h.deps.store.listAudit(otherOrg.id, 10_000)).length,
        ]);
      const before = await state();
      const paths: Array<['GET' | 'PATCH' | 'DELETE' | 'POST', string, unknown?]> = [
        ['GET', `/api/orgs/${otherOrg.name}/oidc/issuers/${created.id}`],
        ['PATCH', `/api/orgs/${otherOrg.name}/oidc/issuers/${created.id}`, { name: 'stolen' }],
        ['DELETE', `/api/orgs/${otherOrg.name}/oidc/issuers/${created.id}`],
        ['POST', `/api/orgs/${otherOrg.name}/oidc/issuers/${created.id}/regenerate-thumbprints`],
        ['GET', `/api/orgs/${otherOrg.name}/auth/policies/oidcissuers/${created.id}`],
        ['POST', `/api/orgs/${otherOrg.name}/oidc/issuers/${created.id}/policies/test`, { requestedTokenType: 'organization', claims: { sub: 'repo:acme/app:ref:refs/heads/main' } }],
      ];
      // As the other organization's admin.
      for (const [method, path, body] of paths) {
        expectError(await call(h, method, path, { token: other.token, ...(body ? { body } : {}) }), 404, 'issuer_not_found');
      }
      expectError(await call(h, 'PATCH', `/api/orgs/${otherOrg.name}/auth/policies/${policyId}`, { token: other.token, body: { policies: [] } }), 404, 'policy_not_found');
      // By its admin organization token: refused (403 where X02 bars organization tokens, else 404),
      // and answered exactly as for an id that exists nowhere: no existence oracle.
      const nowhere = '00000000-0000-4000-8000-000000000000';
      for (const [method, path, body] of [...paths, ['PATCH', `/api/orgs/${otherOrg.name}/auth/policies/${policyId}`, { policies: [] }]] as typeof paths) {
        const real = await call(h, method, path, { token: otherAdminToken.value, ...(body ? { body } : {}) });
        const fake = await call(h, method, path.replace(created.id, nowhere).replace(policyId, nowhere), { token: otherAdminToken.value, ...(body ? { body } : {}) });
        assert.ok(real.statusCode === 403 || real.statusCode === 404, `${method} ${path}: ${real.statusCode}`);
        const words = (res: typeof real) => String(res.json().message).replace(created.id, '<id>').replace(policyId, '<id>').replace(nowhere, '<id>');
        assert.deepEqual([real.statusCode, real.json().reason, words(real)], [fake.statusCode, fake.json().reason, words(fake)], `${method} ${path}`);
      }
      assert.equal(await state(), before, 'nothing changed, nothing audited');
      assert.equal((await call(h, 'GET', `/api/orgs/${otherOrg.name}/oidc/issuers`, { token: other.token })).json().oidcIssuers.length, 0);
      // Not a member: the organization itself is not found.
      expectError(await call(h, 'GET', `${issuersUrl()}/${created.id}`, { token: other.token }), 404, 'org_not_found');
      expectError(await call(h, 'GET', issuersUrl(), { token: other.token }), 404, 'org_not_found');
      // A member who is not an admin, and a non-admin organization token: 403.
      await addMember(h, { id: orgId, name: orgName, createdAt: 0 }, other.user, 'member');
      expectError(await call(h, 'GET', issuersUrl(), { token: other.token }), 403, 'forbidden');
      expectError(await register({ name: 'member', url: mock.issuer.url }, other.token), 403, 'forbidden');
      const orgToken = await makeToken(h, admin.principal, { type: 'organization', org: orgName }, { name: 'plain' });
      expectError(await call(h, 'GET', issuersUrl(), { token: orgToken.value }), 403, 'forbidden');
      // An admin organization token has admin rights.
      const adminToken = await makeToken(h, admin.principal, { type: 'organization', org: orgName }, { name: 'admin-tok', admin: true });
      assert.equal((await call(h, 'GET', issuersUrl(), { token: adminToken.value })).statusCode, 200);
      // Unchanged by all of the above.
      const still = await call(h, 'GET', `${issuersUrl()}/${created.id}`, { token: admin.token });
      assert.equal(still.json().name, 'z07');
      expectError(await call(h, 'GET', issuersUrl()), 401, 'token_missing');
    });

    it('S05: registrations are rate limited per organization (429 with Retry-After)', async () => {
      const owner = await makePerson(h);
      const org = await makeOrg(h, owner.user);
      let limited: Awaited<ReturnType<typeof call>> | undefined;
      for (let n = 0; n < 25 && !limited; n++) {
        const res = await register({ name: `storm-${n}`, url: `https://10.0.0.${n + 1}` }, owner.token, org.name);
        if (res.statusCode === 429) limited = res;
        else expectError(res, 400, 'issuer_url_refused');
      }
      assert.ok(limited, 'a storm is limited');
      expectError(limited, 429, 'too_many_registrations');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      // Other organizations are not affected.
      assert.equal((await register({ name: 'after-storm', url: `${plain.origin}/after`, jwks: { keys: mock.issuer.keys.toJSON() } })).statusCode, 200);
      // The window slides.
      h.clock.advance(3600_000);
      expectError(await register({ name: 'later', url: 'https://10.9.9.9' }, owner.token, org.name), 400, 'issuer_url_refused');
    });
  });
}

describe('TESSERA_ALLOW_LOOPBACK_ISSUERS', () => {
  it('logs a warning at start-up, and loopback issuers are refused without it', async () => {
    const db = await createTestDatabase('sqlite');
    const server = await startServer(db.url, { TESSERA_ALLOW_LOOPBACK_ISSUERS: '1' });
    try {
      const warning = server
        .output()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .find((l) => /TESSERA_ALLOW_LOOPBACK_ISSUERS/.test(l.msg));
      assert.equal(warning?.level, 40, 'a warn-level line');
    } finally {
      await server.stop();
      await db.drop();
    }
    const h = await startHarness('sqlite');
    try {
      const mock = await startMockIssuer();
      try {
        const owner = await makePerson(h);
        const org = await makeOrg(h, owner.user);
        const res = await call(h, 'POST', `/api/orgs/${org.name}/oidc/issuers`, { token: owner.token, body: { name: 'local', url: mock.issuer.url } });
        expectError(res, 400, 'issuer_url_refused');
      } finally {
        await mock.stop();
      }
    } finally {
      await h.close();
    }
  });
});
