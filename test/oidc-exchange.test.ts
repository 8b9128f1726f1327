import assert from 'node:assert/strict';
import { createHmac, KeyObject, sign as rawSign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import type { OAuth2Server } from 'oauth2-mock-server';
import type { Resolver } from '../src/domain/oidc/fetch-issuer-document.js';
import { databaseKinds } from './support/databases.js';
import { addMember, call, makeOrg, makePerson, makeTeam, startHarness, type Harness } from './support/harness.js';
import { countSockets, startMockIssuer } from './support/issuers.js';
import { ghClaims as fixtureClaims } from './support/oidc-fixture.js';

const resolver: Resolver = async (host) => {
  if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw new Error('unknown host');
};

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const ORG_TYPE = 'urn:pulumi:token-type:access_token:organization';
const TEAM_TYPE = 'urn:pulumi:token-type:access_token:team';
const PERSONAL_TYPE = 'urn:pulumi:token-type:access_token:personal';
const SUB = 'repo:acme/app:ref:refs/heads/main';

type Key = { privateKey: CryptoKey; jwk: JWK };

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

for (const kind of databaseKinds()) {
  describe(`OIDC token exchange: POST /api/oauth/token (${kind})`, () => {
    let h: Harness;
    let mock: OAuth2Server;
    let mockKey: Key;
    let esKey: Key;
    let admin: Awaited<ReturnType<typeof makePerson>>;
    let alice: Awaited<ReturnType<typeof makePerson>>;
    let orgId: string;
    let issuerUrl: string;
    let otherUrl: string;
    let otherId: string;
    const ORG = 'acme';
    const AUD = `urn:pulumi:org:${ORG}`;

    const now = () => h.clock.nowSec();

    before(async () => {
      h = await startHarness(kind, { allowLoopbackIssuers: true, issuerFetch: { resolve: resolver } });
      mock = await startMockIssuer();
      const priv = mock.issuer.keys.toJSON(true)[0]!;
      mockKey = { privateKey: (await importJWK(priv, 'RS256')) as CryptoKey, jwk: priv };
      const es = await generateKeyPair('ES256', { extractable: true });
      esKey = { privateKey: es.privateKey, jwk: { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' } };

      admin = await makePerson(h);
      alice = await makePerson(h, { login: 'alice' });
      const org = await makeOrg(h, admin.user, ORG);
      orgId = org.id;
      await addMember(h, org, alice.user);
      await makeTeam(h, org, 'platform');

      issuerUrl = mock.issuer.url!;
      const reg = await call(h, 'POST', `/api/orgs/${ORG}/oidc/issuers`, { token: admin.token, body: { name: 'github-actions', url: issuerUrl } });
      assert.equal(reg.statusCode, 200, reg.body);
      await setPolicies(reg.json().id, [
        { decision: 'allow', tokenType: 'organization', authorizedPermissions: ['admin'], rules: { sub: SUB, repository_owner: 'acme' } },
        { decision: 'allow', tokenType: 'team', teamName: 'platform', authorizedPermissions: [], rules: { repository: 'acme/*', ref: 'refs/heads/main' } },
        { decision: 'allow', tokenType: 'team', teamName: 'ghost', authorizedPermissions: [], rules: { repository: 'acme/*' } },
        { decision: 'allow', tokenType: 'personal', userLogin: 'alice', authorizedPermissions: [], rules: { environment: 'prod' } },
        { decision: 'deny', tokenType: 'organization', authorizedPermissions: [], rules: { ref: 'refs/heads/evil' } },
      ]);

      otherUrl = 'http://127.0.0.1:9/other';
      const other = await call(h, 'POST', `/api/orgs/${ORG}/oidc/issuers`, {
        token: admin.token,
        body: { name: 'static-es', url: otherUrl, maxExpiration: 600, jwks: { keys: [esKey.jwk] } },
      });
      assert.equal(other.statusCode, 200, other.body);
      otherId = other.json().id;
      await setPolicies(otherId, [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }]);
    });
    after(async () => {
      await mock.stop();
      await h.close();
    });

    async function setPolicies(issuerId: string, policies: unknown[]): Promise<void> {
      const policyId = (await call(h, 'GET', `/api/orgs/${ORG}/auth/policies/oidcissuers/${issuerId}`, { token: admin.token })).json().id as string;
      const res = await call(h, 'PATCH', `/api/orgs/${ORG}/auth/policies/${policyId}`, { token: admin.token, body: { policies } });
      assert.equal(res.statusCode, 200, res.body);
    }

    /** GitHub Actions' claim set, valid now. */
    const ghClaims = (overrides: Record<string, unknown> = {}): JWTPayload => fixtureClaims(issuerUrl, ORG, now(), overrides);

    async function sign(claims: JWTPayload, opts: { key?: Key; alg?: string; header?: Record<string, unknown> } = {}): Promise<string> {
      const key = opts.key ?? mockKey;
      const alg = opts.alg ?? (key.jwk.alg as string | undefined) ?? 'RS256';
      const jwt = await new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg, x5t: 'cv-thumbprint-of-the-signing-certificate', kid: key.jwk.kid, ...opts.header } as never).sign(key.privateKey);
      h.secrets.add(jwt);
      return jwt;
    }

    function jsonBody(subjectToken: string, extra: Record<string, unknown> = {}) {
      return { audience: AUD, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: subjectToken, expiration: 3600, ...extra };
    }

    const exchange = (body: unknown, headers: Record<string, string> = {}) =>
      h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

    const exchangeForm = (form: string, contentType = 'application/x-www-form-urlencoded') =>
      h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': contentType }, payload: form });

    async function counts(): Promise<{ tokens: number; audit: number }> {
      const s = h.deps.store;
      const orgTokens = await s.listTokens({ type: 'organization', orgId }, 'all', now(), 1000);
      const team = await s.findTeam(orgId, 'platform');
      const teamTokens = await s.listTokens({ type: 'team', teamId: team!.id }, 'all', now(), 1000);
      const personal = await s.listTokens({ type: 'personal', userId: alice.user.id }, 'all', now(), 1000);
      return { tokens: orgTokens.length + teamTokens.length + personal.length, audit: (await s.listAudit(orgId, 10000)).length };
    }

    function expectOAuthError(res: LightMyRequestResponse, status: number, error: string, secret?: string): { error: string; error_description: string; request_id: string } {
      assert.equal(res.statusCode, status, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json\b/);
      if (secret) h.secrets.add(secret); // hand-made tokens too: close() checks no log line holds one
      const body = res.json() as { error: string; error_description: string; request_id: string };
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description', 'request_id']);
      assert.equal(body.error, error);
      assert.equal(body.request_id, res.headers['x-request-id']);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(body.error_description, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/, 'printable ASCII without " or \\');
      if (secret) for (const part of secret.split('.')) if (part.length > 8) assert.ok(!res.body.includes(part), 'the subject token is not echoed');
      return body;
    }

    /** A refusal: status, OAuth error, nothing minted, and one denial event when the organization is known. */
    async function expectRefused(send: () => Promise<LightMyRequestResponse>, status: number, error: string, opts: { secret?: string; audited?: boolean; match?: RegExp } = {}) {
      const beforeCounts = await counts();
      const res = await send();
      const body = expectOAuthError(res, status, error, opts.secret);
      if (opts.match) assert.match(body.error_description, opts.match);
      const afterCounts = await counts();
      assert.equal(afterCounts.tokens, beforeCounts.tokens, 'no token minted');
      assert.equal(afterCounts.audit - beforeCounts.audit, opts.audited === false ? 0 : 1, 'exactly one audit event (the denial)');
      if (opts.audited !== false) {
        const [event] = await h.deps.store.listAudit(orgId, 1);
        assert.equal(event!.action, 'oidc_token_exchange_denied');
        assert.equal(event!.requestId, body.request_id);
        if (opts.secret) assert.ok(!JSON.stringify(event).includes(opts.secret), 'the token is not in the audit event');
      }
      return body;
    }

    async function expectOk(res: LightMyRequestResponse): Promise<{ access_token: string; issued_token_type: string; token_type: string; expires_in: number; scope: string }> {
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      h.secrets.add(body.access_token);
      return body;
    }

    it('wire-compat: the Pulumi CLI form body mints an organization token that works and is listed (T12)', async () => {
      const jwt = await sign(ghClaims());
      // url.Values.Encode(): keys sorted, every field present, expiration as a string, empty scope.
      const form = new URLSearchParams([
        ['audience', AUD],
        ['expiration', '7200'],
        ['grant_type', GRANT],
        ['requested_token_type', ORG_TYPE],
        ['scope', ''],
        ['subject_token', jwt],
        ['subject_token_type', ID_TOKEN],
      ]).toString();
      const before = await counts();
      const res = await exchangeForm(form);
      const body = await expectOk(res);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['pragma'], 'no-cache');
      assert.deepEqual({ ...body, access_token: typeof body.access_token }, { access_token: 'string', issued_token_type: ORG_TYPE, token_type: 'token', expires_in: 7200, scope: '' });
      assert.match(body.access_token, /^tsro_[A-Za-z0-9]{38}$/);
      const after = await counts();
      assert.equal(after.tokens, before.tokens + 1);
      assert.equal(after.audit, before.audit + 1, 'one audit event');

      const me = await call(h, 'GET', '/api/user', { token: body.access_token });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json().githubLogin, ORG);
      assert.equal(me.json().tokenInfo.organization, ORG);
      assert.match(me.json().tokenInfo.name, /^oidc-/);
      assert.equal(me.json().token.expires, now() + 7200);

      const list = await call(h, 'GET', `/api/orgs/${ORG}/tokens`, { token: admin.token });
      const listed = (list.json().tokens as Array<Record<string, unknown>>).find((t) => t.name === me.json().tokenInfo.name);
      assert.ok(listed, 'listed beside the others');
      assert.equal(listed.source, 'oidc');
      assert.equal(listed.createdBy, 'oidc:github-actions');
      assert.deepEqual(listed.oidc, { issuerId: (listed.oidc as { issuerId: string }).issuerId, issuerName: 'github-actions', subject: SUB });
      assert.equal(listed.admin, false);

      const [event] = await h.deps.store.listAudit(orgId, 1);
      assert.equal(event!.action, 'oidc_token_exchanged');
      const d = event!.details as Record<string, unknown>;
      assert.equal(d.subject, SUB);
      assert.equal(d.outcome, 'allowed');
      assert.ok(Array.isArray(d.claims) && (d.claims as Array<{ claimPath: string }>).some((c) => c.claimPath === 'sub'));
      assert.ok(!JSON.stringify(event).includes(jwt));
      const issuers = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/issuers`, { token: admin.token })).json().oidcIssuers as Array<{ name: string; lastUsed: number }>;
      assert.equal(issuers.find((i) => i.name === 'github-actions')!.lastUsed, now());
      const auditView = await call(h, 'GET', `/api/orgs/${ORG}/auditlogs`, { token: admin.token });
      assert.equal(auditView.statusCode, 200, auditView.body);
      assert.match(auditView.body, new RegExp(`${SUB} exchanged an ID token of OIDC issuer github-actions for organization token oidc-`));
    });

    it('wire-compat: the auth-actions JSON body mints team and personal tokens', async () => {
      const teamJwt = await sign(ghClaims());
      const team = await expectOk(await exchange({ audience: AUD, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: TEAM_TYPE, subject_token: teamJwt, expiration: 600, scope: 'team:platform' }));
      assert.equal(team.issued_token_type, TEAM_TYPE);
      assert.equal(team.scope, 'team:platform');
      assert.equal(team.expires_in, 600);
      const me = (await call(h, 'GET', '/api/user', { token: team.access_token })).json();
      assert.equal(me.tokenInfo.team, 'platform');
      const list = await call(h, 'GET', `/api/orgs/${ORG}/teams/platform/tokens`, { token: admin.token });
      const listed = (list.json().tokens as Array<Record<string, unknown>>).find((t) => t.name === me.tokenInfo.name);
      assert.equal(listed?.source, 'oidc');

      const userJwt = await sign(ghClaims());
      const personal = await expectOk(await exchange({ audience: AUD, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: PERSONAL_TYPE, subject_token: userJwt, scope: 'user:alice' }));
      assert.equal(personal.expires_in, 7200, 'default expiration');
      const asAlice = (await call(h, 'GET', '/api/user', { token: personal.access_token })).json();
      assert.equal(asAlice.githubLogin, 'alice');
      const mine = (await call(h, 'GET', '/api/user/tokens', { token: alice.token })).json().tokens as Array<Record<string, unknown>>;
      const minted = mine.find((t) => t.source === 'oidc');
      assert.ok(minted);
      assert.equal(minted.createdBy, 'oidc:github-actions');
    });

    it('the admin scope needs an admin allow policy; team and user must exist', async () => {
      const adminTok = await expectOk(await exchange(jsonBody(await sign(ghClaims()), { scope: 'admin' })));
      assert.equal(adminTok.scope, 'admin');
      const jwt = await sign(ghClaims({ sub: 'repo:acme/other:ref:refs/heads/main' }));
      // Same claims but the static issuer's policy has no admin allow.
      const esJwt = await sign(ghClaims({ iss: otherUrl }), { key: esKey });
      await expectRefused(() => exchange(jsonBody(esJwt, { scope: 'admin' })), 400, 'invalid_scope', { secret: esJwt });
      await expectRefused(() => exchange(jsonBody(jwt, { requested_token_type: TEAM_TYPE, scope: 'team:ghost' })), 400, 'invalid_scope', { secret: jwt, match: /team/ });
      await expectRefused(() => exchange(jsonBody(jwt, { requested_token_type: PERSONAL_TYPE, scope: 'user:bob' })), 400, 'invalid_scope', { secret: jwt, match: /no policy applies/ });
    });

    it('expiration is capped by the issuer maxExpiration (ES256 static key set)', async () => {
      const jwt = await sign(ghClaims({ iss: otherUrl }), { key: esKey });
      const body = await expectOk(await exchange(jsonBody(jwt, { expiration: 7200 })));
      assert.equal(body.expires_in, 600);
      const me = (await call(h, 'GET', '/api/user', { token: body.access_token })).json();
      assert.equal(me.token.expires, now() + 600);
    });

    it('policy deny: no allow policy matched; one denial event with the trace, no patterns', async () => {
      const jwt = await sign(ghClaims({ sub: 'repo:acme/other:ref:refs/heads/main' }));
      const body = await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt, match: /no allow policy matched/ });
      assert.ok(!body.error_description.includes('repo:acme/app'), 'no pattern revealed');
      const [event] = await h.deps.store.listAudit(orgId, 1);
      const d = event!.details as { check: string; trace: Array<{ policyIndex: number; matched: boolean; failedRule?: { claimPath: string } }>; subject: string };
      assert.equal(d.check, 'policy');
      assert.equal(d.subject, 'repo:acme/other:ref:refs/heads/main');
      assert.deepEqual(d.trace[0], { policyIndex: 0, decision: 'allow', matched: false, failedRule: { claimPath: 'sub', failure: 'no_pattern_matched' } });
      assert.ok(!JSON.stringify(d).includes('repo:acme/app:ref'), 'patterns are not copied');

      const view = await call(h, 'GET', `/api/orgs/${ORG}/auditlogs?event=oidc_token_exchange_denied`, { token: admin.token });
      assert.match(view.body, /a token exchange by repo:acme\/other:ref:refs\/heads\/main with an ID token of OIDC issuer github-actions for an organization token was denied: no allow policy matched/);

      const evil = await sign(ghClaims({ ref: 'refs/heads/evil' }));
      await expectRefused(() => exchange(jsonBody(evil)), 400, 'invalid_request', { secret: evil, match: /deny policy/ });
    });

    it('J01: alg none (any spelling) with an empty signature is refused', async () => {
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        const jwt = `${b64({ alg, typ: 'JWT' })}.${b64(ghClaims())}.`;
        await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
      }
    });

    it('J02: HS256 MACed with the issuer public key (PEM and JWK) is refused', async () => {
      const pub = (await importJWK({ kty: mockKey.jwk.kty!, n: mockKey.jwk.n!, e: mockKey.jwk.e! }, 'RS256', { extractable: true })) as CryptoKey;
      const pem = await exportSPKI(pub);
      for (const secret of [pem, JSON.stringify({ kty: 'RSA', n: mockKey.jwk.n, e: mockKey.jwk.e })]) {
        const input = `${b64({ alg: 'HS256', kid: mockKey.jwk.kid })}.${b64(ghClaims())}`;
        const jwt = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
      }
    });

    it('J05: a flipped bit in the signature or payload, or an unrelated key, is refused', async () => {
      const jwt = await sign(ghClaims());
      const [hd, pl, sig] = jwt.split('.') as [string, string, string];
      const flip = (s: string) => (s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`);
      await expectRefused(() => exchange(jsonBody(`${hd}.${pl}.${flip(sig)}`)), 400, 'invalid_request', { match: /signature/ });
      const claims = ghClaims();
      const tampered = `${hd}.${b64({ ...claims, sub: 'repo:acme/app:ref:refs/heads/main ' })}.${sig}`;
      await expectRefused(() => exchange(jsonBody(tampered)), 400, 'invalid_request', { match: /signature/ });
      const stranger = await generateKeyPair('RS256');
      const forged = await sign(ghClaims(), { key: { privateKey: stranger.privateKey, jwk: { kid: mockKey.jwk.kid, alg: 'RS256' } } });
      await expectRefused(() => exchange(jsonBody(forged)), 400, 'invalid_request', { secret: forged, match: /signature/ });
    });

    it('J06: a key embedded in the header (jwk) is never used', async () => {
      const attacker = await generateKeyPair('RS256', { extractable: true });
      const jwk = await exportJWK(attacker.publicKey);
      const jwt = await sign(ghClaims(), { key: { privateKey: attacker.privateKey, jwk: { kid: mockKey.jwk.kid, alg: 'RS256' } }, header: { jwk } });
      await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
    });

    it('J07: jku / x5u headers cause no outbound request', async () => {
      // The issuer's keys are cached by the exchanges above; nothing else may be fetched.
      for (const header of [{ jku: 'http://169.254.169.254/latest/meta-data/' }, { x5u: 'http://127.0.0.1:1/evil' }, { crit: ['exp'] }, { b64: false, crit: ['b64'] }]) {
        // Signed by hand: jose refuses to produce unknown crit or b64 headers.
        const input = `${b64({ alg: 'RS256', kid: mockKey.jwk.kid, ...header })}.${b64(ghClaims())}`;
        const jwt = `${input}.${rawSign('sha256', Buffer.from(input), KeyObject.from(mockKey.privateKey)).toString('base64url')}`;
        const { sockets } = await countSockets(() => expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt }));
        assert.equal(sockets, 0);
      }
    });

    it('J04: a valid signature with an algorithm the issuer key is not for is refused', async () => {
      // Signed with an ES256 key under the RS256 issuer's kid: no key of the issuer is for ES256.
      const jwt = await sign(ghClaims(), { key: { privateKey: esKey.privateKey, jwk: { kid: mockKey.jwk.kid, alg: 'ES256' } } });
      await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
      // PS256 with the issuer's own RSA key (the key set says RS256).
      const psKey = (await importJWK({ ...mockKey.jwk, alg: 'PS256' }, 'PS256')) as CryptoKey;
      const ps = await sign(ghClaims(), { key: { privateKey: psKey, jwk: { kid: mockKey.jwk.kid, alg: 'PS256' } } });
      await expectRefused(() => exchange(jsonBody(ps)), 400, 'invalid_request', { secret: ps });
    });

    it('J08: hostile kid values are refused quickly and never reach the store or a fetch', async () => {
      h.clock.advance(31_000); // past the unknown-kid refetch cooldown: one refetch at most
      for (const kid of ['../../../../dev/null', "x' UNION SELECT '1';--", '|sleep 10', 'k'.repeat(10_000), 'a\u0000b\r\nc']) {
        const input = `${b64({ alg: 'RS256', kid })}.${b64(ghClaims())}`;
        const jwt = `${input}.${rawSign('sha256', Buffer.from(input), KeyObject.from(mockKey.privateKey)).toString('base64url')}`;
        const started = Date.now();
        await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
        assert.ok(Date.now() - started < 2000);
      }
    });

    it('T02-T05: missing or unsupported subject_token, subject_token_type, actor_token, requested_token_type', async () => {
      const jwt = await sign(ghClaims());
      for (const extra of [
        { subject_token: undefined },
        { subject_token_type: undefined },
        { subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' },
        { actor_token: jwt },
        { actor_token_type: ID_TOKEN },
        { requested_token_type: 'urn:pulumi:token-type:access_token:deployment' },
      ]) {
        await expectRefused(() => exchange(jsonBody(jwt, extra)), 400, 'invalid_request', { secret: jwt, audited: false });
      }
    });

    it('J12: iss must equal a registered issuer of the organization exactly', async () => {
      const variants = [`${issuerUrl}/`, issuerUrl.toUpperCase(), issuerUrl.replace('http:', 'https:'), otherUrl];
      for (const iss of variants) {
        const jwt = await sign(ghClaims({ iss }));
        await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
      }
    });

    it('J23: an unregistered iss triggers no discovery or key fetch', async () => {
      const jwt = await sign(ghClaims({ iss: 'http://127.0.0.1:1/attacker' }));
      const { sockets } = await countSockets(() => expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt, match: /not registered/ }));
      assert.equal(sockets, 0);
    });

    it('J14: aud missing, wrong, or with an extra untrusted audience is refused; an array with only ours is accepted', async () => {
      for (const aud of [undefined, 'urn:pulumi:org:other', ['urn:pulumi:org:acme', 'https://evil.example'], [], 42]) {
        const jwt = await sign(ghClaims({ aud }));
        await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
      }
      await expectOk(await exchange(jsonBody(await sign(ghClaims({ aud: [AUD] })))));
    });

    it('J15/J16: exp, nbf and iat with 60 s leeway on the server clock; iat at most a day old (security-oidc-inputs has the whole row over HTTP)', async () => {
      const t = now();
      for (const overrides of [{ exp: t - 61 }, { exp: t - 60 }, { exp: undefined }, { exp: String(t + 300) }, { exp: t + 0.5 }, { exp: -1 }, { nbf: t + 120 }, { iat: t + 120 }, { iat: t - 7 * 86400, nbf: t - 7 * 86400 }, { iat: t - 365 * 86400, nbf: undefined, exp: t + 365 * 86400 }]) {
        const jwt = await sign(ghClaims(overrides));
        await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt });
      }
      // Within the leeway.
      await expectOk(await exchange(jsonBody(await sign(ghClaims({ exp: t - 59 })))));
      await expectOk(await exchange(jsonBody(await sign(ghClaims({ nbf: t + 59, iat: t + 59 })))));
    });

    it('J18: sub, iat and jti are required', async () => {
      for (const missing of ['sub', 'iat', 'jti']) {
        const jwt = await sign(ghClaims({ [missing]: undefined }));
        await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt, match: new RegExp(missing) });
      }
    });

    it('J19: the same JWT twice: the second is refused', async () => {
      const jwt = await sign(ghClaims());
      await expectOk(await exchange(jsonBody(jwt)));
      await expectRefused(() => exchange(jsonBody(jwt)), 400, 'invalid_request', { secret: jwt, match: /already been exchanged/ });
      // Per issuer: the same jti from another issuer is its own.
      const jti = (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
      await expectOk(await exchange(jsonBody(await sign(ghClaims({ iss: otherUrl, jti }), { key: esKey }))));
    });

    it('J19: the same JWT 50 times at once yields exactly one token', async () => {
      const jwt = await sign(ghClaims());
      const before = await counts();
      const results = await Promise.all(Array.from({ length: 50 }, () => exchange(jsonBody(jwt))));
      const ok = results.filter((r) => r.statusCode === 200);
      assert.equal(ok.length, 1, results.map((r) => r.statusCode).join(','));
      for (const r of results) if (r.statusCode !== 200) expectOAuthError(r, 400, 'invalid_request', jwt);
      h.secrets.add(ok[0]!.json().access_token);
      const after = await counts();
      assert.equal(after.tokens, before.tokens + 1);
      assert.equal(after.audit, before.audit + 50, 'one event per attempt');
    });

    it('T01: grant_type missing or unsupported', async () => {
      const jwt = await sign(ghClaims());
      await expectRefused(() => exchange(jsonBody(jwt, { grant_type: undefined })), 400, 'invalid_request', { secret: jwt, audited: false });
      await expectRefused(() => exchange(jsonBody(jwt, { grant_type: 'client_credentials' })), 400, 'unsupported_grant_type', { secret: jwt, audited: false });
      await expectRefused(() => exchange(jsonBody(jwt, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' })), 400, 'unsupported_grant_type', { secret: jwt, audited: false });
    });

    it('T06: an audience naming no organization is invalid_target', async () => {
      const jwt = await sign(ghClaims({ aud: 'urn:pulumi:org:nosuchorg' }));
      await expectRefused(() => exchange(jsonBody(jwt, { audience: 'urn:pulumi:org:nosuchorg' })), 400, 'invalid_target', { secret: jwt, audited: false });
      await expectRefused(() => exchange(jsonBody(jwt, { audience: 'https://evil.example' })), 400, 'invalid_target', { secret: jwt, audited: false });
    });

    it('T10: other content types are refused with invalid_request, consistently', async () => {
      const jwt = await sign(ghClaims());
      const form = new URLSearchParams({ audience: AUD, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: jwt }).toString();
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded;charset=iso-8859-1', 'application/x-www-form-urlencoded\t', 'application/xml']) {
        await expectRefused(() => exchangeForm(form, type), 400, 'invalid_request', { secret: jwt, audited: false });
      }
      const noType = await h.app.inject({ method: 'POST', url: '/api/oauth/token', payload: form });
      expectOAuthError(noType, 400, 'invalid_request', jwt);
      // The same body with the right type works, and JSON with charset=utf-8 too.
      await expectOk(await exchangeForm(form, 'application/x-www-form-urlencoded; charset=UTF-8'));
      await expectOk(await exchange(jsonBody(await sign(ghClaims())), { 'content-type': 'application/json; charset=utf-8' }));
    });

    it('503 temporarily_unavailable when the issuer keys cannot be fetched and none are cached', async () => {
      const down = await startMockIssuer();
      const priv = down.issuer.keys.toJSON(true)[0]!;
      const downKey: Key = { privateKey: (await importJWK(priv, 'RS256')) as CryptoKey, jwk: priv };
      const downUrl = down.issuer.url!;
      const reg = await call(h, 'POST', `/api/orgs/${ORG}/oidc/issuers`, { token: admin.token, body: { name: 'down', url: downUrl } });
      assert.equal(reg.statusCode, 200, reg.body);
      await setPolicies(reg.json().id, [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }]);
      await down.stop();
      h.deps.oidc.keys.forget(reg.json().id);
      const jwt = await sign(ghClaims({ iss: downUrl }), { key: downKey });
      const body = await expectRefused(() => exchange(jsonBody(jwt)), 503, 'temporarily_unavailable', { secret: jwt });
      assert.ok(body.error_description.length > 0);
      const [event] = await h.deps.store.listAudit(orgId, 1);
      assert.equal((event!.details as { check: string }).check, 'keys');
    });

    it('T11/J24: GET is 405 and never logged with its query; a 2 MB body is 413; both in the OAuth shape', async () => {
      const jwt = await sign(ghClaims());
      const before = await counts();
      const get = await h.app.inject({ method: 'GET', url: `/api/oauth/token?grant_type=${encodeURIComponent(GRANT)}&subject_token=${jwt}` });
      expectOAuthError(get, 405, 'invalid_request', jwt);
      assert.equal(get.headers.allow, 'POST');
      const big = await exchange(jsonBody(`${jwt}${'a'.repeat(2 * 1024 * 1024)}`));
      expectOAuthError(big, 413, 'invalid_request', jwt);
      assert.deepEqual(await counts(), before);
      assert.ok(!h.logs.text().includes(jwt.split('.')[2]!));
    });

    it('never logs the subject token', async () => {
      const jwt = await sign(ghClaims());
      await exchange(jsonBody(jwt));
      assert.ok(!h.logs.text().includes(jwt.split('.')[2]!));
    });
  });
}
