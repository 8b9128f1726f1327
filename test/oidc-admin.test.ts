import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { purgeExchanges } from '../src/domain/oidc/purge-exchanges.js';
import { databaseKinds } from './support/databases.js';
import { addMember, call, expectError, makeOrg, makePerson, makeTeam, startHarness, type Harness } from './support/harness.js';
import { exchangeJson, ghClaims, makeSigningKey, registerStaticIssuer, setPolicies, signJwt, SUB, type SigningKey } from './support/oidc-fixture.js';

/**
 * What organization admins see of token exchanges: the attempts list with traces, the policy dry
 * run, and the purge of expired exchanged tokens (docs/decisions.md, "Exchange attempts, dry runs
 * and retention").
 */

const ORG = 'acme';
const ISSUER_URL = 'http://127.0.0.1:9/gha';
const POLICIES = [
  { decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB, repository_owner: 'acme' } },
  { decision: 'allow', tokenType: 'team', teamName: 'platform', authorizedPermissions: [], rules: { repository: 'acme/*' } },
  { decision: 'deny', tokenType: 'organization', authorizedPermissions: [], rules: { ref: 'refs/heads/evil' } },
];

for (const kind of databaseKinds()) {
  describe(`OIDC exchange attempts, policy dry runs and retention (${kind})`, () => {
    let h: Harness;
    let key: SigningKey;
    let admin: Awaited<ReturnType<typeof makePerson>>;
    let member: Awaited<ReturnType<typeof makePerson>>;
    let orgId: string;
    let issuerId: string;

    const claims = (overrides: Record<string, unknown> = {}) => ghClaims(ISSUER_URL, ORG, h.clock.nowSec(), overrides);
    const jwt = (overrides: Record<string, unknown> = {}) => signJwt(h, key, claims(overrides));
    const dryRun = (body: Record<string, unknown>, token = admin.token) =>
      call(h, 'POST', `/api/orgs/${ORG}/oidc/issuers/${issuerId}/policies/test`, { token, body: { requestedTokenType: 'organization', ...body } });
    const tokenCount = async () => (await h.deps.store.listTokens({ type: 'organization', orgId }, 'all', h.clock.nowSec(), 10000)).length;
    const auditCount = async () => (await h.deps.store.listAudit(orgId, 100000)).length;

    before(async () => {
      h = await startHarness(kind, { allowLoopbackIssuers: true });
      key = await makeSigningKey('ES256');
      admin = await makePerson(h);
      member = await makePerson(h);
      const org = await makeOrg(h, admin.user, ORG);
      orgId = org.id;
      await addMember(h, org, member.user);
      await makeTeam(h, org, 'platform');
      issuerId = await registerStaticIssuer(h, admin.token, ORG, 'github-actions', ISSUER_URL, [key.jwk]);
      await setPolicies(h, admin.token, ORG, issuerId, POLICIES);
    });
    after(() => h.close());

    describe('GET /api/orgs/{org}/oidc/exchanges', () => {
      let allowedRequestId: string;
      let deniedRequestId: string;
      before(async () => {
        const ok = await exchangeJson(h, ORG, await jwt());
        assert.equal(ok.statusCode, 200, ok.body);
        allowedRequestId = String(ok.headers['x-request-id']);
        h.clock.advance(1000);
        const denied = await exchangeJson(h, ORG, await jwt({ ref: 'refs/heads/evil' }));
        assert.equal(denied.statusCode, 400, denied.body);
        deniedRequestId = (denied.json() as { request_id: string }).request_id;
        h.clock.advance(1000);
      });

      it('lists allowed and denied attempts newest first, with the claims and the trace of a denial', async () => {
        const res = await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges`, { token: admin.token });
        assert.equal(res.statusCode, 200, res.body);
        const [denied, allowed] = res.json().exchanges;
        assert.equal(denied.outcome, 'denied');
        assert.equal(denied.requestId, deniedRequestId);
        assert.equal(denied.check, 'policy');
        assert.equal(denied.reason, 'deny_policy_matched');
        assert.equal(denied.error, 'invalid_request');
        assert.equal(denied.issuerId, issuerId);
        assert.equal(denied.issuerName, 'github-actions');
        assert.equal(denied.subject, SUB);
        assert.equal(denied.requestedTokenType, 'organization');
        assert.deepEqual(
          denied.trace.map((t: { policyIndex: number; matched: boolean }) => [t.policyIndex, t.matched]),
          [
            [0, true],
            [2, true],
          ],
        );
        assert.ok(denied.claims.some((c: { claimPath: string; value?: unknown }) => c.claimPath === 'ref' && c.value === 'refs/heads/evil'));
        assert.equal(allowed.outcome, 'allowed');
        assert.equal(allowed.requestId, allowedRequestId);
        assert.equal(allowed.expiresIn, 3600);
        assert.ok(allowed.tokenId, 'the minted token is named');
        assert.equal(allowed.policyVersion, denied.policyVersion);
        // Neither the JWT nor a pattern is in the listing.
        assert.ok(!res.body.includes('acme/*'));
        for (const s of h.secrets) assert.ok(!res.body.includes(s));
      });

      it('filters by outcome and by request id, and pages with a continuation token', async () => {
        const denied = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges?outcome=denied`, { token: admin.token })).json().exchanges;
        assert.ok(denied.length >= 1 && denied.every((e: { outcome: string }) => e.outcome === 'denied'));
        const byId = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges?requestId=${allowedRequestId}`, { token: admin.token })).json().exchanges;
        assert.deepEqual(byId.map((e: { requestId: string }) => e.requestId), [allowedRequestId]);
        const first = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges?maxResults=1`, { token: admin.token })).json();
        assert.equal(first.exchanges.length, 1);
        assert.ok(first.continuationToken);
        const second = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges?maxResults=1&continuationToken=${first.continuationToken}`, { token: admin.token })).json();
        assert.equal(second.exchanges.length, 1);
        assert.notEqual(second.exchanges[0].id, first.exchanges[0].id);
      });

      it('is for organization admins only, and refuses bad filters', async () => {
        expectError(await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges`, { token: member.token }), 403);
        const outsider = await makePerson(h);
        expectError(await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges`, { token: outsider.token }), 404, 'org_not_found');
        expectError(await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges?outcome=maybe`, { token: admin.token }), 400);
        expectError(await call(h, 'GET', `/api/orgs/${ORG}/oidc/exchanges?continuationToken=nope`, { token: admin.token }), 400);
      });
    });

    describe('POST /api/orgs/{org}/oidc/issuers/{issuerId}/policies/test', () => {
      it('allows a token the saved policies allow, and writes nothing', async () => {
        const [tokens, audit] = [await tokenCount(), await auditCount()];
        const token = await jwt();
        const res = await dryRun({ subjectToken: token });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.equal(body.decision, 'allow');
        assert.equal(typeof body.policyVersion, 'number');
        assert.deepEqual(body.notes, []);
        assert.deepEqual(body.trace[0], { policyIndex: 0, decision: 'allow', matched: true });
        assert.equal(await tokenCount(), tokens);
        assert.equal(await auditCount(), audit);
        // The jti was not consumed: the same token still exchanges.
        assert.equal((await exchangeJson(h, ORG, token)).statusCode, 200);
        const again = (await dryRun({ subjectToken: token })).json();
        assert.equal(again.decision, 'allow');
        assert.match(again.notes.join(' '), /already been exchanged/);
      });

      it('tests a draft list against claims, with the trace naming the failed rule and the warnings', async () => {
        const draft = [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { repository_owner: 'acme', environment: 'prod' } }];
        const res = await dryRun({ policies: draft, claims: { repository_owner: 'acme', environment: 'staging' } });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.equal(body.decision, 'deny');
        assert.equal(body.check, 'policy');
        assert.equal(body.reason, 'no_allow_policy_matched');
        assert.equal(body.policyVersion, null);
        assert.deepEqual(body.trace, [{ policyIndex: 0, decision: 'allow', matched: false, failedRule: { claimPath: 'environment', failure: 'no_pattern_matched' } }]);
        assert.ok(body.warnings.some((w: { code: string }) => w.code.includes('sub')), JSON.stringify(body.warnings));
        const allowed = (await dryRun({ policies: draft, claims: { repository_owner: 'acme', environment: 'prod' } })).json();
        assert.equal(allowed.decision, 'allow');
      });

      it('checks the scope: a team that does not exist, and admin without an admin policy', async () => {
        const missing = (await dryRun({ requestedTokenType: 'team', scope: 'team:ghost', claims: { repository: 'acme/app' } })).json();
        assert.equal(missing.decision, 'deny');
        const team = (await dryRun({ requestedTokenType: 'urn:pulumi:token-type:access_token:team', scope: 'team:platform', claims: { repository: 'acme/app' } })).json();
        assert.equal(team.decision, 'allow');
        const adminScope = (await dryRun({ scope: 'admin', claims: { sub: SUB, repository_owner: 'acme' } })).json();
        assert.equal(adminScope.decision, 'deny');
        assert.equal(adminScope.reason, 'admin_not_authorized');
      });

      it('verifies a pasted token like an exchange, but reports an expired one in notes', async () => {
        const other = await makeSigningKey('ES256', key.jwk.kid as string);
        const forged = await signJwt(h, other, claims());
        const bad = (await dryRun({ subjectToken: forged })).json();
        assert.equal(bad.decision, 'deny');
        assert.equal(bad.check, 'signature');
        const wrongAud = (await dryRun({ subjectToken: await jwt({ aud: 'urn:pulumi:org:other' }) })).json();
        assert.equal(wrongAud.check, 'audience');
        const wrongIss = (await dryRun({ subjectToken: await signJwt(h, key, ghClaims('https://elsewhere.example', ORG, h.clock.nowSec())) })).json();
        assert.equal(wrongIss.check, 'issuer');
        const expired = (await dryRun({ subjectToken: await jwt({ exp: h.clock.nowSec() - 3600, iat: h.clock.nowSec() - 4000, nbf: undefined }) })).json();
        assert.equal(expired.decision, 'allow');
        assert.match(expired.notes[0], /expired: a real exchange would be refused/);
      });

      it('refuses bad requests with the REST error shape', async () => {
        expectError(await dryRun({}), 400, 'invalid_request');
        expectError(await dryRun({ claims: { a: 1 }, subjectToken: 'a.b.c' }), 400, 'invalid_request');
        expectError(await dryRun({ claims: { a: 1 }, requestedTokenType: 'everything' }), 400, 'invalid_request');
        expectError(await dryRun({ claims: { a: 1 }, requestedTokenType: 'team', scope: 'admin' }), 400, 'invalid_request');
        expectError(await dryRun({ claims: { a: 1 }, policies: [] }), 400, 'policy_invalid');
        expectError(await dryRun({ claims: ['x'] }), 400);
        expectError(await dryRun({ claims: { a: 1 } }, member.token), 403);
        expectError(await call(h, 'POST', `/api/orgs/${ORG}/oidc/issuers/nope/policies/test`, { token: admin.token, body: { requestedTokenType: 'organization', claims: {} } }), 404, 'issuer_not_found');
      });
    });

    describe('issuer lastUsed', () => {
      it('is exact in answers at once and written to the database with the next lastUsed flush', async () => {
        h.clock.advance(3600 * 1000);
        assert.equal((await exchangeJson(h, ORG, await jwt())).statusCode, 200);
        const shown = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/issuers/${issuerId}`, { token: admin.token })).json();
        assert.equal(shown.lastUsed, h.clock.nowSec());
        assert.ok((await h.deps.store.findIssuer(orgId, issuerId))!.lastUsed < h.clock.nowSec(), 'not written per exchange');
        await h.deps.lastUsed.flush();
        assert.equal((await h.deps.store.findIssuer(orgId, issuerId))!.lastUsed, h.clock.nowSec());
      });
    });

    describe('refused exchanges per address', () => {
      it('answers 429 with Retry-After past the limit, without auditing, and lets successes through uncounted', async () => {
        const limited = await startHarness(kind, { allowLoopbackIssuers: true, exchangeRefusalLimit: { perAddress: 3, windowMs: 60_000 } });
        try {
          const owner = await makePerson(limited);
          const org = await makeOrg(limited, owner.user, ORG);
          const id = await registerStaticIssuer(limited, owner.token, ORG, 'gha', ISSUER_URL, [key.jwk]);
          await setPolicies(limited, owner.token, ORG, id, POLICIES);
          const good = () => signJwt(limited, key, ghClaims(ISSUER_URL, ORG, limited.clock.nowSec()));
          const bad = () => signJwt(limited, key, ghClaims(ISSUER_URL, ORG, limited.clock.nowSec(), { repository_owner: 'evil' }));
          for (let i = 0; i < 5; i++) assert.equal((await exchangeJson(limited, ORG, await good())).statusCode, 200);
          for (let i = 0; i < 3; i++) assert.equal((await exchangeJson(limited, ORG, await bad())).statusCode, 400);
          const audit = (await limited.deps.store.listAudit(org.id, 1000)).length;
          const throttled = await exchangeJson(limited, ORG, await good());
          assert.equal(throttled.statusCode, 429, throttled.body);
          assert.equal(throttled.headers['retry-after'], '60');
          assert.equal(throttled.headers['cache-control'], 'no-store');
          assert.equal(throttled.json().error, 'temporarily_unavailable');
          assert.equal((await limited.deps.store.listAudit(org.id, 1000)).length, audit, 'a throttled attempt writes nothing');
          // Another address is not affected.
          const elsewhere = await limited.app.inject({
            method: 'POST',
            url: '/api/oauth/token',
            remoteAddress: '192.0.2.7',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ audience: `urn:pulumi:org:${ORG}`, grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', requested_token_type: 'urn:pulumi:token-type:access_token:organization', subject_token: await good() }),
          });
          assert.equal(elsewhere.statusCode, 200, elsewhere.body);
          limited.clock.advance(61_000);
          assert.equal((await exchangeJson(limited, ORG, await good())).statusCode, 200);
        } finally {
          await limited.close();
        }
      });
    });

    describe('retention of exchanged tokens', () => {
      it('deletes exchanged tokens expired longer than the retention, keeps their audit events and every other token', async () => {
        const fresh = await startHarness(kind, { allowLoopbackIssuers: true, oidcTokenRetentionSeconds: 86400 });
        try {
          const owner = await makePerson(fresh);
          const org = await makeOrg(fresh, owner.user, ORG);
          const id = await registerStaticIssuer(fresh, owner.token, ORG, 'gha', ISSUER_URL, [key.jwk]);
          await setPolicies(fresh, owner.token, ORG, id, POLICIES);
          const made = await call(fresh, 'POST', `/api/orgs/${ORG}/tokens`, { token: owner.token, body: { name: 'by-hand', description: '', expires: fresh.clock.nowSec() + 60 } });
          assert.equal(made.statusCode, 200, made.body);
          const exchanged = await exchangeJson(fresh, ORG, await signJwt(fresh, key, ghClaims(ISSUER_URL, ORG, fresh.clock.nowSec())), { expiration: 600 });
          assert.equal(exchanged.statusCode, 200, exchanged.body);
          const list = () => fresh.deps.store.listTokens({ type: 'organization', orgId: org.id }, 'all', fresh.clock.nowSec(), 100);
          assert.equal((await list()).length, 2);

          // Expired, but not yet for the retention period: kept.
          fresh.clock.advance(3600 * 1000);
          assert.deepEqual(await purgeExchanges(fresh.deps), { tokens: 0, jtis: 1 });
          assert.equal((await list()).length, 2);

          fresh.clock.advance(86400 * 1000);
          assert.deepEqual(await purgeExchanges(fresh.deps), { tokens: 1, jtis: 0 });
          const left = await list();
          assert.deepEqual(left.map((t) => t.name), ['by-hand']);
          const events = await fresh.deps.store.listAudit(org.id, 1000);
          assert.ok(events.some((e) => e.action === 'oidc_token_exchanged'), 'the audit event stays');
          assert.deepEqual(await purgeExchanges(fresh.deps), { tokens: 0, jtis: 0 });
        } finally {
          await fresh.close();
        }
      });

      it('keeps exchanged tokens when the retention is 0', async () => {
        const keep = await startHarness(kind, { allowLoopbackIssuers: true, oidcTokenRetentionSeconds: 0 });
        try {
          const owner = await makePerson(keep);
          const org = await makeOrg(keep, owner.user, ORG);
          const id = await registerStaticIssuer(keep, owner.token, ORG, 'gha', ISSUER_URL, [key.jwk]);
          await setPolicies(keep, owner.token, ORG, id, POLICIES);
          assert.equal((await exchangeJson(keep, ORG, await signJwt(keep, key, ghClaims(ISSUER_URL, ORG, keep.clock.nowSec())))).statusCode, 200);
          keep.clock.advance(400 * 86400 * 1000);
          assert.equal((await purgeExchanges(keep.deps)).tokens, 0);
          assert.equal((await keep.deps.store.listTokens({ type: 'organization', orgId: org.id }, 'all', keep.clock.nowSec(), 100)).length, 1);
        } finally {
          await keep.close();
        }
      });
    });
  });
}
