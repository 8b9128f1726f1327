import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { JWK, JWTPayload } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { databaseKinds } from './support/databases.js';
import { addMember, call, expectError, makeOrg, makePerson, makeTeam, startHarness, type Harness } from './support/harness.js';
import {
  b64url,
  exchangeForm,
  exchangeJson,
  ghClaims,
  GRANT,
  ID_TOKEN,
  makeSigningKey,
  ORG_TYPE,
  registerStaticIssuer,
  setPolicies,
  signCompact,
  signJwt,
  SUB,
  testPoliciesCall,
  type SigningKey,
} from './support/oidc-fixture.js';

/**
 * Security catalog rows (shared/docs/SECURITY-CATALOG.md) exercised at the endpoints: every token
 * goes through POST /api/oauth/token (and, for the P rows, through the policy PATCH and the dry
 * run). Each refusal asserts the status, the body, and that nothing changed: no token minted and
 * exactly one `oidc_token_exchange_denied` event when the attempt reached the organization (none
 * when the parameters themselves are malformed: docs/decisions.md, Token exchange, Audit).
 */

const TEAM_TYPE = 'urn:pulumi:token-type:access_token:team';
const PERSONAL_TYPE = 'urn:pulumi:token-type:access_token:personal';
/** RFC 6749 §5.2: error and error_description are printable ASCII without `"` and `\`. */
const OAUTH_CHARSET = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;
const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_target', 'temporarily_unavailable', 'server_error'];
/** The order of the P-256 group: r = s = n is as "psychic" as r = s = 0 (CVE-2022-21449). */
const P256_ORDER = Buffer.from('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551', 'hex');

type OAuthBody = { error: string; error_description: string; request_id: string };
type DryRun = { decision: 'allow' | 'deny'; check?: string; reason?: string; description: string; trace: Array<{ policyIndex: number; matched: boolean; failedRule?: { claimPath: string; failure: string } }>; warnings: Array<{ policyIndex: number; code: string }>; notes: string[]; policyVersion: number | null };

for (const kind of databaseKinds()) {
  describe(`OIDC catalog rows at the endpoints (${kind})`, () => {
    let h: Harness;
    let admin: Awaited<ReturnType<typeof makePerson>>;
    let alice: Awaited<ReturnType<typeof makePerson>>;
    const ORG = 'acme';
    const BETA = 'beta';
    const AUD = `urn:pulumi:org:${ORG}`;
    const orgIds: Record<string, string> = {};
    const teamIds: string[] = [];

    // One issuer per purpose, all with static key sets (nothing is fetched).
    const mainUrl = 'http://127.0.0.1:9/main';
    const rsaUrl = 'http://127.0.0.1:9/rsa';
    const polUrl = 'http://127.0.0.1:9/policies';
    let mainKey: SigningKey;
    let rsaKey: SigningKey;
    let polKey: SigningKey;
    let mainId: string;
    let polId: string;

    const now = () => h.clock.nowSec();

    before(async () => {
      h = await startHarness(kind, { allowLoopbackIssuers: true });
      admin = await makePerson(h);
      alice = await makePerson(h, { login: `alice${randomUUID().slice(0, 6)}` });
      const org = await makeOrg(h, admin.user, ORG);
      orgIds[ORG] = org.id;
      await addMember(h, org, alice.user);
      teamIds.push((await makeTeam(h, org, 'platform')).id, (await makeTeam(h, org, 'ops')).id);
      orgIds[BETA] = (await makeOrg(h, admin.user, BETA)).id;

      mainKey = await makeSigningKey('ES256', 'main-1');
      rsaKey = await makeSigningKey('RS256', 'rsa-1');
      polKey = await makeSigningKey('ES256', 'pol-1');
      mainId = await registerStaticIssuer(h, admin.token, ORG, 'main', mainUrl, [mainKey.jwk]);
      await setPolicies(h, admin.token, ORG, mainId, [
        { decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB, repository_owner: 'acme' } },
        { decision: 'allow', tokenType: 'team', teamName: 'platform', authorizedPermissions: [], rules: { sub: SUB } },
        { decision: 'allow', tokenType: 'personal', userLogin: alice.user.login, authorizedPermissions: [], rules: { sub: SUB } },
      ]);
      const rsaId = await registerStaticIssuer(h, admin.token, ORG, 'rsa', rsaUrl, [rsaKey.jwk]);
      await setPolicies(h, admin.token, ORG, rsaId, [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }]);
      // Its policies are written by the P tests themselves.
      polId = await registerStaticIssuer(h, admin.token, ORG, 'policies', polUrl, [polKey.jwk]);
    });
    after(async () => {
      await h.close();
    });
    // Refused exchanges are throttled per source address in a sliding minute of the server clock,
    // and every request here comes from the same address: each test starts in a fresh window.
    beforeEach(() => h.clock.advance(61_000));

    /** Every token that could be minted here, and the audit events of both organizations. */
    async function counts(): Promise<{ tokens: number; audit: Record<string, number> }> {
      const s = h.deps.store;
      let tokens = 0;
      for (const orgId of Object.values(orgIds)) tokens += (await s.listTokens({ type: 'organization', orgId }, 'all', now(), 1000)).length;
      for (const teamId of teamIds) tokens += (await s.listTokens({ type: 'team', teamId }, 'all', now(), 1000)).length;
      tokens += (await s.listTokens({ type: 'personal', userId: alice.user.id }, 'all', now(), 1000)).length;
      const audit: Record<string, number> = {};
      for (const [name, orgId] of Object.entries(orgIds)) audit[name] = (await s.listAudit(orgId, 10000)).length;
      return { tokens, audit };
    }

    /** The OAuth error shape (T13): exact keys, allowed codes and charset, no echo, no stack. */
    function expectOAuthError(res: LightMyRequestResponse, status: number, error: string, opts: { secret?: string; inputs?: string[] } = {}): OAuthBody {
      assert.equal(res.statusCode, status, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json() as OAuthBody;
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description', 'request_id']);
      assert.equal(body.error, error);
      assert.ok(OAUTH_ERRORS.includes(body.error));
      assert.match(body.error, OAUTH_CHARSET);
      assert.match(body.error_description, OAUTH_CHARSET, 'printable ASCII without " or \\');
      assert.equal(body.request_id, res.headers['x-request-id']);
      assert.doesNotMatch(res.body, /\n\s+at |Error:|\.[jt]s:\d|node_modules|\/work\//, 'no stack or path');
      if (opts.secret) for (const part of opts.secret.split('.')) if (part.length > 8) assert.ok(!res.body.includes(part), 'the subject token is not echoed');
      for (const input of opts.inputs ?? []) assert.ok(!res.body.toLowerCase().includes(input.toLowerCase()), `input ${input} not echoed`);
      return body;
    }

    /** A refusal with nothing changed: no token, one denial event (or none for malformed parameters). */
    async function expectRefused(
      send: () => Promise<LightMyRequestResponse>,
      error: string,
      opts: { secret?: string; audited?: boolean; reason?: string; status?: number; org?: string; inputs?: string[] } = {},
    ): Promise<{ body: OAuthBody; details: Record<string, unknown> | undefined }> {
      const org = opts.org ?? ORG;
      const before = await counts();
      const res = await send();
      const body = expectOAuthError(res, opts.status ?? 400, error, opts);
      const after = await counts();
      assert.equal(after.tokens, before.tokens, 'no token minted');
      const audited = opts.audited ?? true;
      for (const name of Object.keys(orgIds)) {
        assert.equal(after.audit[name]! - before.audit[name]!, audited && name === org ? 1 : 0, `audit events in ${name}`);
      }
      if (!audited) return { body, details: undefined };
      const [event] = await h.deps.store.listAudit(orgIds[org]!, 1);
      assert.equal(event!.action, 'oidc_token_exchange_denied');
      assert.equal(event!.requestId, body.request_id);
      const details = event!.details as Record<string, unknown>;
      assert.equal(details.error, error);
      if (opts.reason) assert.equal(details.reason, opts.reason, `reason (${body.error_description})`);
      if (opts.secret) assert.ok(!JSON.stringify(event).includes(opts.secret), 'the token is not in the audit event');
      return { body, details };
    }

    /** A success: 200, one token more, one `oidc_token_exchanged` event. */
    async function expectMinted(send: () => Promise<LightMyRequestResponse>, org = ORG): Promise<{ access_token: string; scope: string; expires_in: number }> {
      const before = await counts();
      const res = await send();
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      h.secrets.add(body.access_token);
      const after = await counts();
      assert.equal(after.tokens, before.tokens + 1, 'one token minted');
      assert.equal(after.audit[org]! - before.audit[org]!, 1);
      const [event] = await h.deps.store.listAudit(orgIds[org]!, 1);
      assert.equal(event!.action, 'oidc_token_exchanged');
      return body;
    }

    const claims = (iss: string, overrides: Record<string, unknown> = {}, org = ORG): JWTPayload => ghClaims(iss, org, now(), overrides);
    const mainJwt = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) => signJwt(h, mainKey, claims(mainUrl, overrides), header);
    const exchange = (jwt: string, extra: Record<string, unknown> = {}, org = ORG) => exchangeJson(h, org, jwt, extra);

    /** The full form body the Pulumi CLI sends, with `changes` appended (repeats kept). */
    function form(jwt: string, changes: Array<[string, string]> = [], drop: string[] = []): Array<[string, string]> {
      const base: Array<[string, string]> = [
        ['audience', AUD],
        ['expiration', '3600'],
        ['grant_type', GRANT],
        ['requested_token_type', ORG_TYPE],
        ['scope', ''],
        ['subject_token', jwt],
        ['subject_token_type', ID_TOKEN],
      ];
      return [...base.filter(([k]) => !drop.includes(k)), ...changes];
    }

    // ---------------------------------------------------------------------------------------------
    // J rows: the subject token
    // ---------------------------------------------------------------------------------------------

    it('J03: a null signature (h.p.), HS256 with an empty key and HS* with common weak keys are refused', async () => {
      // Null signature on an ES256 and an RS256 issuer: the header names an allowed algorithm, so
      // the signature check itself refuses it.
      for (const [key, url] of [[mainKey, mainUrl], [rsaKey, rsaUrl]] as const) {
        const jwt = `${b64url({ alg: key.jwk.alg, kid: key.jwk.kid, typ: 'JWT' })}.${b64url(claims(url))}.`;
        h.secrets.add(jwt);
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'signature_invalid' });
      }
      // HMAC with an empty key and with jwt-common.txt style secrets, under the issuer's kid.
      for (const secret of ['', 'secret', 'password', '123456', 'your-256-bit-secret', 'changeme', 'jwt', 'key', mainUrl]) {
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          const input = `${b64url({ alg, kid: 'main-1', typ: 'JWT' })}.${b64url(claims(mainUrl))}`;
          const jwt = `${input}.${createHmac(`sha${alg.slice(2)}`, secret).update(input).digest('base64url')}`;
          h.secrets.add(jwt);
          await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'algorithm_not_allowed' });
        }
      }
      // An HMAC value under an asymmetric alg is just a wrong signature.
      const input = `${b64url({ alg: 'RS256', kid: 'rsa-1' })}.${b64url(claims(rsaUrl))}`;
      const macked = `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`;
      h.secrets.add(macked);
      await expectRefused(() => exchange(macked), 'invalid_request', { secret: macked, reason: 'signature_invalid' });
    });

    it('J09: kid absent: accepted only when a key of the matching type and alg fully verifies, 1 key or several', async () => {
      const only = await makeSigningKey('ES256', 'only');
      const singleUrl = 'http://127.0.0.1:9/j09-single';
      const singleId = await registerStaticIssuer(h, admin.token, ORG, 'j09-single', singleUrl, [only.jwk]);
      const k1 = await makeSigningKey('ES256', 'a');
      const k2 = await makeSigningKey('ES256', 'b');
      const k3 = await makeSigningKey('ES256', 'no-kid');
      const r1 = await makeSigningKey('RS256', 'r');
      const { kid: _dropped, ...k3NoKid } = k3.jwk;
      const multiUrl = 'http://127.0.0.1:9/j09-multi';
      const multiId = await registerStaticIssuer(h, admin.token, ORG, 'j09-multi', multiUrl, [k1.jwk, k2.jwk, k3NoKid as JWK, r1.jwk]);
      for (const id of [singleId, multiId]) await setPolicies(h, admin.token, ORG, id, [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }]);
      const stranger = await makeSigningKey('ES256', 'stranger');

      const noKid = (key: SigningKey, url: string) => signCompact(h, key, { alg: key.jwk.alg, typ: 'JWT' }, claims(url));
      // One key in the set.
      await expectMinted(() => exchange(noKid(only, singleUrl)));
      let jwt = noKid(stranger, singleUrl);
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'signature_invalid' });
      // Several keys: the one that verifies is found whatever its position, never "the first".
      await expectMinted(() => exchange(noKid(k2, multiUrl)));
      await expectMinted(() => exchange(noKid(k3, multiUrl)));
      await expectMinted(() => exchange(noKid(r1, multiUrl)));
      jwt = noKid(stranger, multiUrl);
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'signature_invalid' });
      // No key of the set is for ES384: nothing to try.
      const es384 = await makeSigningKey('ES256', 'x');
      jwt = signCompact(h, es384, { alg: 'ES384' }, claims(multiUrl), 'ES256');
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_matching_key' });
      // Pinned: a token naming a kid is only checked against keys with that kid; a key published
      // without a kid is not a wildcard for it.
      jwt = signCompact(h, k3, { alg: 'ES256', kid: 'c' }, claims(multiUrl));
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_matching_key' });
      // A kid of another key in the set: that key alone is tried.
      jwt = signCompact(h, k3, { alg: 'ES256', kid: 'a' }, claims(multiUrl));
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'signature_invalid' });
    });

    it('J10: crit with an unknown or a registered name, and b64:false, are refused', async () => {
      for (const header of [{ crit: ['x'], x: 1 }, { crit: ['exp'] }, { crit: ['alg'] }, { crit: [] }, { b64: false }, { b64: false, crit: ['b64'] }, { b64: true, crit: ['b64'] }]) {
        const jwt = signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1', ...header }, claims(mainUrl));
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'header_not_allowed' });
      }
      // RFC 7797 unencoded payload: the raw JSON is not base64url, so the request itself is malformed
      // (refused before the organization is looked at: no audit event).
      const header = b64url({ alg: 'ES256', kid: 'main-1', b64: false, crit: ['b64'] });
      const raw = signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1', b64: false, crit: ['b64'] }, claims(mainUrl));
      const unencoded = `${header}.${JSON.stringify(claims(mainUrl))}.${raw.split('.')[2]}`;
      h.secrets.add(unencoded);
      await expectRefused(() => exchange(unencoded), 'invalid_request', { secret: unencoded, audited: false });
    });

    it('J13: a token of issuer A signed with issuer B key under the same kid is refused: keys are bound to (issuer, kid)', async () => {
      const kA = await makeSigningKey('ES256', 'shared');
      const kB = await makeSigningKey('ES256', 'shared');
      const kC = await makeSigningKey('ES256', 'shared');
      const aUrl = 'http://127.0.0.1:9/j13-a';
      const bUrl = 'http://127.0.0.1:9/j13-b';
      const allow = [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }];
      await setPolicies(h, admin.token, ORG, await registerStaticIssuer(h, admin.token, ORG, 'j13-a', aUrl, [kA.jwk]), allow);
      await setPolicies(h, admin.token, ORG, await registerStaticIssuer(h, admin.token, ORG, 'j13-b', bUrl, [kB.jwk]), allow);
      // The same issuer URL registered by another organization, with another key under the same kid.
      await setPolicies(h, admin.token, BETA, await registerStaticIssuer(h, admin.token, BETA, 'j13-a-elsewhere', aUrl, [kC.jwk]), allow);

      // Warm every cache first, so a cache keyed by kid alone would have the wrong key ready.
      await expectMinted(() => exchange(signCompact(h, kA, { alg: 'ES256', kid: 'shared' }, claims(aUrl))));
      await expectMinted(() => exchange(signCompact(h, kB, { alg: 'ES256', kid: 'shared' }, claims(bUrl))));
      await expectMinted(() => exchange(signCompact(h, kC, { alg: 'ES256', kid: 'shared' }, claims(aUrl, {}, BETA)), {}, BETA), BETA);

      for (const key of [kB, kC]) {
        const jwt = signCompact(h, key, { alg: 'ES256', kid: 'shared' }, claims(aUrl));
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'signature_invalid' });
      }
      const jwt = signCompact(h, kA, { alg: 'ES256', kid: 'shared' }, claims(aUrl, {}, BETA));
      await expectRefused(() => exchange(jwt, {}, BETA), 'invalid_request', { secret: jwt, reason: 'signature_invalid', org: BETA });
      // And iss B with A's key.
      const swapped = signCompact(h, kA, { alg: 'ES256', kid: 'shared' }, claims(bUrl));
      await expectRefused(() => exchange(swapped), 'invalid_request', { secret: swapped, reason: 'signature_invalid' });
    });

    it('J17: exp boundaries on the TestClock: accepted iff now < exp + 60', async () => {
      const t = now();
      const at = (exp: number) => mainJwt({ exp, iat: Math.min(t, exp) - 60, nbf: undefined });
      for (const exp of [t + 61, t + 60, t + 59, t + 1, t, t - 1, t - 59]) await expectMinted(async () => exchange(await at(exp)));
      for (const exp of [t - 60, t - 61, t - 3600]) {
        const jwt = await at(exp);
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'token_expired' });
      }
      // The same boundary reached by moving the clock, sub-second parts ignored.
      const exp = now();
      const first = await at(exp);
      const second = await at(exp);
      h.clock.advance(59_999); // now = exp + 59.999 s: second exp + 59
      await expectMinted(() => exchange(first));
      h.clock.advance(1); // now = exp + 60
      await expectRefused(() => exchange(second), 'invalid_request', { secret: second, reason: 'token_expired' });
      // nbf has the same leeway the other way.
      const n = now();
      await expectMinted(async () => exchange(await mainJwt({ nbf: n + 60 })));
      const early = await mainJwt({ nbf: n + 61 });
      await expectRefused(() => exchange(early), 'invalid_request', { secret: early, reason: 'token_not_yet_valid' });
    });

    it('J20: duplicate JSON keys: the last one wins, in the header and in the claims (pinned)', async () => {
      const { sub: _sub, ...rest } = claims(mainUrl);
      const body = JSON.stringify(rest).slice(0, -1);
      // Last wins: the allowed subject last is accepted, the evil one last is refused by policy.
      await expectMinted(() => exchange(signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1' }, `${body},"sub":"repo:evil/x:ref:refs/heads/main","sub":"${SUB}"}`)));
      let jwt = signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1' }, `${JSON.stringify({ ...rest, jti: randomUUID() }).slice(0, -1)},"sub":"${SUB}","sub":"repo:evil/x:ref:refs/heads/main"}`);
      const { details } = await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      assert.equal(details!.subject, 'repo:evil/x:ref:refs/heads/main', 'the subject recorded is the one the policies saw');
      // The unverified read (issuer choice) and the verified read agree on a duplicated iss.
      const { iss: _iss, ...noIss } = claims(mainUrl);
      await expectMinted(() => exchange(signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1' }, `${JSON.stringify(noIss).slice(0, -1)},"iss":"http://127.0.0.1:1/evil","iss":"${mainUrl}"}`)));
      jwt = signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1' }, `${JSON.stringify({ ...noIss, jti: randomUUID() }).slice(0, -1)},"iss":"${mainUrl}","iss":"http://127.0.0.1:1/evil"}`);
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'issuer_not_registered' });
      // Header: our reader and the verifier read the same (last) alg.
      await expectMinted(() => exchange(signCompact(h, mainKey, '{"alg":"none","kid":"main-1","alg":"ES256"}', claims(mainUrl), 'ES256')));
      jwt = signCompact(h, mainKey, '{"alg":"ES256","kid":"main-1","alg":"none"}', claims(mainUrl), 'ES256');
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'algorithm_not_allowed' });
    });

    it('J20: invalid UTF-8 in the payload or header, and non-object payloads, are refused', async () => {
      for (const bad of [[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
        const [a, b] = JSON.stringify(claims(mainUrl, { repository: 'acme/appMARK' })).split('MARK') as [string, string];
        const payload = Buffer.concat([Buffer.from(a), Buffer.from(bad), Buffer.from(b)]);
        const jwt = signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1' }, payload);
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'token_malformed' });
        const [ha, hb] = '{"alg":"ES256","kid":"main-1","x":"MARK"}'.split('MARK') as [string, string];
        const badHeader = signCompact(h, mainKey, Buffer.concat([Buffer.from(ha), Buffer.from(bad), Buffer.from(hb)]), claims(mainUrl), 'ES256');
        await expectRefused(() => exchange(badHeader), 'invalid_request', { secret: badHeader, reason: 'token_malformed' });
      }
      for (const payload of ['[]', JSON.stringify([claims(mainUrl)]), '"x"', '42', 'null', 'true', 'not json', '{"iss":']) {
        const jwt = signCompact(h, mainKey, { alg: 'ES256', kid: 'main-1' }, payload);
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'token_malformed' });
      }
    });

    it('J20: base64 with = padding, spaces, line breaks or the +/ alphabet is refused as malformed (before any lookup)', async () => {
      const jwt = await mainJwt();
      const [hd, pl, sig] = jwt.split('.') as [string, string, string];
      const padded = (s: string) => s + '='.repeat((4 - (s.length % 4)) % 4 || 1);
      const variants = [
        `${padded(hd)}.${padded(pl)}.${padded(sig)}`,
        `${hd}.${pl}.${sig}=`,
        `${hd}.${pl.slice(0, 10)} ${pl.slice(10)}.${sig}`,
        `${hd}.${pl}.${sig}\n`,
        ` ${jwt}`,
        `${hd}.${pl.slice(0, 10)}\r\n${pl.slice(10)}.${sig}`,
        `${hd.replace(/-/g, '+').replace(/_/g, '/')}.${pl.replace(/-/g, '+').replace(/_/g, '/')}.${sig.replace(/-/g, '+').replace(/_/g, '/')}`,
      ].filter((v) => v !== jwt);
      for (const v of variants) {
        await expectRefused(() => exchange(v), 'invalid_request', { secret: jwt, audited: false });
        // In a form body, a space arrives as '+', and '+' as a space.
        await expectRefused(() => exchangeForm(h, form(v)), 'invalid_request', { secret: jwt, audited: false });
      }
      // The token as issued still works: nothing above consumed it.
      await expectMinted(() => exchange(jwt));
    });

    it('J21: RSA keys under 2048 bits or with e = 1, and EC points off the curve, are refused at registration or ignored in a set; r = s = 0 never verifies', async () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const weakJwk = { ...(weak.publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak', alg: 'RS256', use: 'sig' };
      const offCurve: JWK = { kty: 'EC', crv: 'P-256', x: Buffer.alloc(32, 1).toString('base64url'), y: Buffer.alloc(32, 2).toString('base64url'), kid: 'off-curve', alg: 'ES256', use: 'sig' };
      // A full-size modulus with public exponent 1: the padded digest itself would "verify".
      const strong = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const exponentOne = { ...(strong.publicKey.export({ format: 'jwk' }) as JWK), e: 'AQ', kid: 'e1', alg: 'RS256', use: 'sig' };
      const issuersBefore = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/issuers`, { token: admin.token })).json().oidcIssuers.length as number;
      const before = await counts();
      for (const [i, keys] of [[weakJwk], [offCurve], [exponentOne], [weakJwk, offCurve, exponentOne]].entries()) {
        const res = await call(h, 'POST', `/api/orgs/${ORG}/oidc/issuers`, { token: admin.token, body: { name: `j21-refused-${i}`, url: `http://127.0.0.1:9/j21-refused-${i}`, jwks: { keys } } });
        const err = expectError(res, 400, 'issuer_invalid');
        assert.match(err.message, /no usable signature key/);
      }
      assert.equal((await call(h, 'GET', `/api/orgs/${ORG}/oidc/issuers`, { token: admin.token })).json().oidcIssuers.length, issuersBefore, 'no issuer stored');
      assert.deepEqual(await counts(), before, 'nothing audited');

      // In a set with a good key, the weak and off-curve keys are ignored.
      const good = await makeSigningKey('ES256', 'good');
      const mixedUrl = 'http://127.0.0.1:9/j21-mixed';
      const mixedId = await registerStaticIssuer(h, admin.token, ORG, 'j21-mixed', mixedUrl, [weakJwk, offCurve, exponentOne, good.jwk]);
      await setPolicies(h, admin.token, ORG, mixedId, [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }]);
      for (const header of [{ alg: 'RS256', kid: 'weak' }, { alg: 'RS256' }]) {
        const jwt = signCompact(h, weak.privateKey, header, claims(mixedUrl), 'RS256');
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_matching_key' });
      }
      // With e = 1, RSASSA-PKCS1-v1_5 "verifies" the encoded digest sent as the signature.
      const forgedInput = `${b64url({ alg: 'RS256', kid: 'e1' })}.${b64url(claims(mixedUrl))}`;
      const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(forgedInput).digest()]);
      const encoded = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - digestInfo.length - 3, 0xff), Buffer.from([0]), digestInfo]);
      const forged = `${forgedInput}.${encoded.toString('base64url')}`;
      h.secrets.add(forged);
      await expectRefused(() => exchange(forged), 'invalid_request', { secret: forged, reason: 'no_matching_key' });
      let jwt = signCompact(h, good, { alg: 'ES256', kid: 'off-curve' }, claims(mixedUrl));
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_matching_key' });
      // The dry run refuses the weak key the same way (a deny, not a server error).
      jwt = signCompact(h, weak.privateKey, { alg: 'RS256', kid: 'weak' }, claims(mixedUrl), 'RS256');
      const dry = await testPoliciesCall(h, admin.token, ORG, mixedId, { subjectToken: jwt, requestedTokenType: 'organization' });
      assert.equal(dry.statusCode, 200, dry.body);
      assert.deepEqual([dry.json().decision, dry.json().reason], ['deny', 'no_matching_key']);

      // CVE-2022-21449: ES256 signatures r = s = 0 and r = s = n never verify.
      const input = `${b64url({ alg: 'ES256', kid: 'good' })}.${b64url(claims(mixedUrl))}`;
      for (const sig of [Buffer.alloc(64), Buffer.concat([P256_ORDER, P256_ORDER]), Buffer.alloc(0)]) {
        const psychic = `${input}.${sig.toString('base64url')}`;
        h.secrets.add(psychic);
        await expectRefused(() => exchange(psychic), 'invalid_request', { secret: psychic, reason: 'signature_invalid' });
      }
      await expectMinted(() => exchange(signCompact(h, good, { alg: 'ES256', kid: 'good' }, claims(mixedUrl))));
    });

    it('J22: typ is not pinned: logout+jwt, at+jwt or no typ are judged by signature and claims alone; a Tessera token is no JWT', async () => {
      for (const typ of ['logout+jwt', 'at+jwt', 'tessera+jwt', 'JWT', undefined]) {
        await expectMinted(async () => exchange(await mainJwt({}, { typ })));
      }
      // A back-channel logout token shape (events claim, no nonce) still needs every claim and aud.
      await expectMinted(async () => exchange(await mainJwt({ events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, { typ: 'logout+jwt' })));
      const unsigned = signCompact(h, await makeSigningKey('ES256'), { alg: 'ES256', kid: 'main-1', typ: 'logout+jwt' }, claims(mainUrl));
      await expectRefused(() => exchange(unsigned), 'invalid_request', { secret: unsigned, reason: 'signature_invalid' });
      const foreignAud = await mainJwt({ aud: 'my-relying-party' }, { typ: 'logout+jwt' });
      await expectRefused(() => exchange(foreignAud), 'invalid_request', { secret: foreignAud, reason: 'audience_mismatch' });
      const noJti = await mainJwt({ jti: undefined }, { typ: 'logout+jwt' });
      await expectRefused(() => exchange(noJti), 'invalid_request', { secret: noJti, reason: 'jti_invalid' });
      // Tessera's own tokens are opaque strings, not JWTs: one as subject_token is malformed.
      await expectRefused(() => exchange(admin.token), 'invalid_request', { secret: admin.token, audited: false, inputs: [admin.token] });
    });

    // ---------------------------------------------------------------------------------------------
    // T rows at the endpoint
    // ---------------------------------------------------------------------------------------------

    it('T07: a scope beyond what the policies grant mints nothing', async () => {
      // The admin scope without an admin allow policy: invalid_scope.
      let jwt = await mainJwt();
      await expectRefused(() => exchange(jwt, { scope: 'admin' }), 'invalid_scope', { secret: jwt, reason: 'admin_not_authorized' });
      await expectRefused(() => exchangeForm(h, form(jwt, [['scope', 'admin']], ['scope'])), 'invalid_scope', { secret: jwt, reason: 'admin_not_authorized' });
      // A team with a policy that does not exist (yet): invalid_scope after the policies.
      await setPolicies(h, admin.token, ORG, mainId, [
        { decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB, repository_owner: 'acme' } },
        { decision: 'allow', tokenType: 'team', teamName: 'platform', authorizedPermissions: [], rules: { sub: SUB } },
        { decision: 'allow', tokenType: 'team', teamName: 'ghost', authorizedPermissions: [], rules: { sub: SUB } },
        { decision: 'allow', tokenType: 'personal', userLogin: alice.user.login, authorizedPermissions: [], rules: { sub: SUB } },
      ]);
      await expectRefused(() => exchange(jwt, { requested_token_type: TEAM_TYPE, scope: 'team:ghost' }), 'invalid_scope', { secret: jwt, reason: 'team_not_found' });
      // A team or user no policy names is beyond the policies' scopes: invalid_scope.
      await expectRefused(() => exchange(jwt, { requested_token_type: TEAM_TYPE, scope: 'team:ops' }), 'invalid_scope', { secret: jwt, reason: 'no_applicable_policy' });
      await expectRefused(() => exchange(jwt, { requested_token_type: PERSONAL_TYPE, scope: `user:${admin.user.login}` }), 'invalid_scope', { secret: jwt, reason: 'no_applicable_policy' });
      // A scope that does not fit the token type is refused with the parameters (no event).
      for (const [type, scope] of [[ORG_TYPE, 'team:platform'], [ORG_TYPE, 'admin write'], [TEAM_TYPE, 'admin'], [PERSONAL_TYPE, 'team:platform']]) {
        await expectRefused(() => exchange(jwt, { requested_token_type: type, scope }), 'invalid_scope', { secret: jwt, audited: false });
      }
      // None of the refusals consumed the token.
      const ok = await expectMinted(() => exchange(jwt, { requested_token_type: TEAM_TYPE, scope: 'team:platform' }));
      assert.equal(ok.scope, 'team:platform');
      jwt = await mainJwt();
      await expectMinted(() => exchange(jwt, { requested_token_type: PERSONAL_TYPE, scope: `user:${alice.user.login}` }));
    });

    it('T08: subject_token, grant_type, scope (or any non-audience parameter) twice in a form body is invalid_request; audience may repeat', async () => {
      const jwt = await mainJwt();
      const other = await mainJwt();
      for (const repeat of [
        [['subject_token', jwt]],
        [['subject_token', other]],
        [['grant_type', GRANT]],
        [['grant_type', 'client_credentials']],
        [['scope', '']],
        [['scope', 'admin']],
        [['subject_token_type', ID_TOKEN]],
        [['requested_token_type', ORG_TYPE]],
        [['expiration', '60']],
      ] as Array<Array<[string, string]>>) {
        const { body } = await expectRefused(() => exchangeForm(h, form(jwt, repeat)), 'invalid_request', { secret: jwt, audited: false });
        assert.equal(body.error_description, 'a parameter other than audience or resource was given more than once');
      }
      // A JSON array is a repeat too.
      await expectRefused(() => exchange(jwt, { subject_token: [jwt, jwt] }), 'invalid_request', { secret: jwt, audited: false });
      await expectRefused(() => exchange(jwt, { scope: ['', ''] }), 'invalid_request', { secret: jwt, audited: false });
      // Pinned: a key repeated in the JSON text is not seen (JSON.parse keeps the last one).
      const text = JSON.stringify({ audience: AUD, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: 'x.y.z' }).slice(0, -1) + `,"subject_token":"${other}"}`;
      await expectMinted(() => h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': 'application/json' }, payload: text }));
      // audience and resource may repeat when they name one organization.
      await expectMinted(() => exchangeForm(h, form(jwt, [['audience', AUD], ['resource', AUD], ['resource', `urn:tessera:org:${ORG}`]])));
      const third = await mainJwt();
      await expectRefused(() => exchangeForm(h, form(third, [['audience', `urn:pulumi:org:${BETA}`]])), 'invalid_target', { secret: third, audited: false });
    });

    it('T09: an empty scope (or expiration, or extra audience) counts as omitted; unknown parameters are ignored', async () => {
      let body = await expectMinted(async () => exchangeForm(h, form(await mainJwt(), [['expiration', '']], ['expiration'])));
      assert.equal(body.scope, '');
      assert.equal(body.expires_in, 7200, 'empty expiration is the default');
      body = await expectMinted(async () =>
        exchangeForm(h, form(await mainJwt(), [['client_id', 'x'], ['nonce', 'n'], ['foo', 'a'], ['foo', 'b'], ['__proto__', 'p'], ['constructor', 'c'], ['audience', ''], ['actor_token_typ', 'x']])),
      );
      assert.equal(body.scope, '');
      await expectMinted(async () => exchange(await mainJwt(), { client_id: 'x', extra: { nested: [1, 2] }, flag: true, list: [1, 'a'], nothing: null }));
      await expectMinted(async () => exchange(await mainJwt(), { scope: '' }));
      // Omitted means omitted: a team token still needs its scope.
      const jwt = await mainJwt();
      await expectRefused(() => exchangeForm(h, form(jwt, [['requested_token_type', TEAM_TYPE]], ['requested_token_type'])), 'invalid_scope', { secret: jwt, audited: false });
    });

    it('T13: no error echoes an input, shows a stack, or leaves the RFC 6749 charset', async () => {
      const marker = 'zq7echo';
      const good = await mainJwt();
      const withKid = await mainJwt({}, { kid: `${marker}-kid` });
      const foreignIss = await signJwt(h, mainKey, claims(`http://127.0.0.1:1/${marker}`));
      const foreignSub = await mainJwt({ sub: `repo:${marker}/x:ref:refs/heads/main` });
      const wrongAud = await mainJwt({ aud: `urn:pulumi:org:${marker}` });
      const deniedClaim = await mainJwt({ repository_owner: `${marker}-owner` });
      const cases: Array<{ send: () => Promise<LightMyRequestResponse>; status: number; error: string; audited: boolean; secret: string }> = [
        { send: () => exchange(good, { grant_type: marker }), status: 400, error: 'unsupported_grant_type', audited: false, secret: good },
        { send: () => exchange(good, { audience: `urn:pulumi:org:${marker}` }), status: 400, error: 'invalid_target', audited: false, secret: good },
        { send: () => exchange(good, { audience: `https://${marker}.example` }), status: 400, error: 'invalid_target', audited: false, secret: good },
        { send: () => exchange(good, { subject_token_type: marker }), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchange(good, { requested_token_type: marker }), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchange(good, { scope: marker }), status: 400, error: 'invalid_scope', audited: false, secret: good },
        { send: () => exchange(good, { requested_token_type: TEAM_TYPE, scope: `team:${marker}` }), status: 400, error: 'invalid_scope', audited: true, secret: good },
        { send: () => exchange(good, { expiration: marker }), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchange(good, { actor_token: marker }), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchange(`${marker}.${marker}.${marker}`), status: 400, error: 'invalid_request', audited: true, secret: good },
        { send: () => exchange(`${marker}<script>`), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchange(withKid), status: 400, error: 'invalid_request', audited: true, secret: withKid },
        { send: () => exchange(foreignIss), status: 400, error: 'invalid_request', audited: true, secret: foreignIss },
        { send: () => exchange(foreignSub), status: 400, error: 'invalid_request', audited: true, secret: foreignSub },
        { send: () => exchange(wrongAud), status: 400, error: 'invalid_request', audited: true, secret: wrongAud },
        { send: () => exchange(deniedClaim), status: 400, error: 'invalid_request', audited: true, secret: deniedClaim },
        { send: () => exchangeForm(h, `${form(good).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}&${marker}=%zz`), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchangeForm(h, form(good), `text/${marker}`), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchangeForm(h, form(good), `application/x-www-form-urlencoded; charset=${marker}`), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': 'application/json' }, payload: `"${marker}"` }), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': 'application/json' }, payload: `{"${marker}": ` }), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': 'application/json' }, payload: `{"__proto__": {"${marker}": 1}}` }), status: 400, error: 'invalid_request', audited: false, secret: good },
        { send: () => h.app.inject({ method: 'GET', url: `/api/oauth/token?subject_token=${good}&scope=${marker}` }), status: 405, error: 'invalid_request', audited: false, secret: good },
        { send: () => exchange(`${good}${marker.repeat(10_000)}`), status: 413, error: 'invalid_request', audited: false, secret: good },
      ];
      const descriptions = new Set<string>();
      for (const c of cases) {
        const { body } = await expectRefused(c.send, c.error, { status: c.status, audited: c.audited, secret: c.secret, inputs: [marker] });
        descriptions.add(body.error_description);
      }
      assert.ok(descriptions.size >= 12, 'the descriptions say which check failed');
      assert.equal(({} as Record<string, unknown>)[marker], undefined, 'no prototype pollution');
      // The denial events carry no token either, and the log has no JWT (checked at close).
      const events = await h.deps.store.listAudit(orgIds[ORG]!, 50);
      for (const jwt of [good, withKid, foreignIss, foreignSub, wrongAud, deniedClaim]) assert.ok(!JSON.stringify(events).includes(jwt));
      // Nothing above consumed the good token.
      await expectMinted(() => exchange(good));
    });

    // ---------------------------------------------------------------------------------------------
    // P rows through the policy PATCH, the dry run and the exchange
    // ---------------------------------------------------------------------------------------------

    const allowOrg = (rules: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules, ...extra });
    const denyOrg = (rules: Record<string, unknown>) => ({ decision: 'deny', tokenType: 'organization', authorizedPermissions: [], rules });
    const polJwt = (overrides: Record<string, unknown> = {}) => signJwt(h, polKey, claims(polUrl, overrides));

    async function policyState(): Promise<{ id: string; version: number; policies: unknown }> {
      const res = await call(h, 'GET', `/api/orgs/${ORG}/auth/policies/oidcissuers/${polId}`, { token: admin.token });
      assert.equal(res.statusCode, 200, res.body);
      const { id, version, policies } = res.json();
      return { id, version, policies };
    }

    /** Saves the P issuer's list; returns the warning codes. */
    async function savePolicies(list: unknown[]): Promise<string[]> {
      const res = await call(h, 'PATCH', `/api/orgs/${ORG}/auth/policies/${(await policyState()).id}`, { token: admin.token, body: { policies: list } });
      assert.equal(res.statusCode, 200, res.body);
      return (res.json().warnings as Array<{ code: string }>).map((w) => w.code);
    }

    /** A PATCH that must be refused with nothing changed. */
    async function refusePolicies(payload: unknown, reason: string, status = 400): Promise<string> {
      const before = await policyState();
      const beforeCounts = await counts();
      const res = await call(h, 'PATCH', `/api/orgs/${ORG}/auth/policies/${before.id}`, { token: admin.token, body: payload as object });
      const err = expectError(res, status, reason);
      assert.deepEqual(await policyState(), before, 'the saved list and version are unchanged');
      assert.deepEqual(await counts(), beforeCounts, 'no audit event');
      return err.message;
    }

    /** The dry run, with nothing changed: no token, no audit event, lastUsed as it was. */
    async function dryRun(body: Record<string, unknown>): Promise<DryRun> {
      const issuerBefore = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/issuers/${polId}`, { token: admin.token })).json();
      const before = await counts();
      const res = await testPoliciesCall(h, admin.token, ORG, polId, { requestedTokenType: 'organization', ...body });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(await counts(), before, 'the dry run writes nothing');
      const issuerAfter = (await call(h, 'GET', `/api/orgs/${ORG}/oidc/issuers/${polId}`, { token: admin.token })).json();
      assert.equal(issuerAfter.lastUsed, issuerBefore.lastUsed);
      return res.json() as DryRun;
    }

    /** The decision for a claims object (GitHub-like claims with `overrides`) under the saved or a draft list. */
    async function decide(overrides: Record<string, unknown>, policies?: unknown[]): Promise<'allow' | 'deny'> {
      return (await dryRun({ claims: claims(polUrl, overrides), ...(policies ? { policies } : {}) })).decision;
    }

    it('P01: an allow policy without rules is refused; one on iss and aud only is saved with a sub_unconstrained warning', async () => {
      // A fresh issuer has no policies: every exchange is refused.
      const jwt = await polJwt();
      await expectRefused(() => exchange(jwt), 'invalid_scope', { secret: jwt, reason: 'no_applicable_policy' });
      assert.equal((await dryRun({ subjectToken: jwt })).reason, 'no_applicable_policy');

      const message = await refusePolicies({ policies: [allowOrg({})] }, 'policy_invalid');
      assert.match(message, /policies\[0\]\.rules: an allow policy needs at least one rule/);
      await refusePolicies({ policies: [] }, 'policy_invalid');
      await refusePolicies({ policies: [allowOrg({ sub: SUB }), allowOrg({})] }, 'policy_invalid');
      // The dry run validates a draft the same way (400, nothing written).
      const before = await counts();
      expectError(await testPoliciesCall(h, admin.token, ORG, polId, { policies: [allowOrg({})], claims: claims(polUrl), requestedTokenType: 'organization' }), 400, 'policy_invalid');
      assert.deepEqual(await counts(), before);

      // iss + aud only: saved, with the warning an administrator sees; it admits any repository.
      const warnings = await savePolicies([allowOrg({ iss: polUrl, aud: AUD })]);
      assert.deepEqual(warnings, ['sub_unconstrained']);
      assert.equal(await decide({ sub: 'repo:evil/anything:ref:refs/heads/main', repository: 'evil/anything', repository_owner: 'evil' }), 'allow');
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:evil/anything:pull_request' })));
      // The token refused first was not consumed by its refusal.
      await expectMinted(() => exchange(jwt));
    });

    it('P02: repo:org/* admits every present and future repository; app* also admits app-evil (both warned)', async () => {
      assert.ok((await savePolicies([allowOrg({ sub: 'repo:acme/*' })])).includes('every_repository'));
      assert.equal(await decide({ sub: 'repo:acme/created-tomorrow:ref:refs/heads/main' }), 'allow');
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:acme/created-tomorrow:ref:refs/heads/main' })));
      let jwt = await polJwt({ sub: 'repo:acme-evil/app:ref:refs/heads/main' });
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });

      assert.ok((await savePolicies([allowOrg({ sub: 'repo:acme/app*' })])).includes('repository_wildcard'));
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:acme/app-evil:ref:refs/heads/main' })));
      assert.deepEqual(await savePolicies([allowOrg({ sub: 'repo:acme/app:*', repository_id: '123456' })]), ['pull_request_subject']);
      jwt = await polJwt({ sub: 'repo:acme/app-evil:ref:refs/heads/main' });
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
    });

    it('P03: * spans / and : inside the span; the match is anchored on the whole value', async () => {
      await savePolicies([allowOrg({ sub: 'repo:acme/app:ref:refs/heads/*' })]);
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:acme/app:ref:refs/heads/feat/x' })));
      assert.equal(await decide({ sub: 'repo:acme/app:ref:refs/heads/a:b/c' }), 'allow');
      assert.equal(await decide({ sub: 'repo:acme/app:ref:refs/tags/v1' }), 'deny');
      assert.equal(await decide({ sub: 'xrepo:acme/app:ref:refs/heads/main' }), 'deny');
      const jwt = await polJwt({ sub: 'repo:acme/app:ref:refs/pull/1/merge' });
      const { details } = await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      assert.deepEqual((details!.trace as DryRun['trace'])[0]!.failedRule, { claimPath: 'sub', failure: 'no_pattern_matched' });
    });

    it('P04: regex metacharacters in patterns are literal', async () => {
      assert.deepEqual(await savePolicies([allowOrg({ sub: 'repo:my.org/app', repository: ['(a|b)', '[', 'x\\\\y', 'a+'] })]), []);
      const saved = (await policyState()).policies as Array<{ rules: Record<string, unknown> }>;
      assert.deepEqual(saved[0]!.rules.repository, ['(a|b)', '[', 'x\\\\y', 'a+'], 'stored as written');
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:my.org/app', repository: '(a|b)' })));
      const jwt = await polJwt({ sub: 'repo:myXorg/app', repository: '(a|b)' });
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      for (const repository of ['a', 'b', 'aa', 'x\\\\y', 'xy']) assert.equal(await decide({ sub: 'repo:my.org/app', repository }), 'deny', repository);
      for (const repository of ['[', 'x\\y', 'a+']) assert.equal(await decide({ sub: 'repo:my.org/app', repository }), 'allow', repository);
    });

    it('P05: no unanchored matches: repo:org/app does not admit app-fork or xrepo:org/app', async () => {
      await savePolicies([allowOrg({ sub: 'repo:org/app' })]);
      for (const sub of ['repo:org/app-fork:ref:refs/heads/main', 'repo:org/app:ref:refs/heads/main', 'xrepo:org/app', ' repo:org/app', 'repo:org/app\n']) {
        const jwt = await polJwt({ sub });
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      }
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:org/app' })));
    });

    it('P06: patterns over the caps are refused (nothing saved); a worst-case pattern on a 10 KB claim answers quickly', async () => {
      const fifty = await refusePolicies({ policies: [allowOrg({ sub: `repo:acme/${'*'.repeat(50)}` })] }, 'policy_invalid');
      assert.match(fifty, /16 \* wildcards/);
      await refusePolicies({ policies: [allowOrg({ sub: 'a'.repeat(257) })] }, 'policy_invalid');
      await refusePolicies({ policies: [allowOrg({ sub: Array.from({ length: 33 }, (_, i) => `p${i}`) })] }, 'policy_invalid');

      const worst = `${'*a'.repeat(15)}*b`;
      await savePolicies([allowOrg({ sub: SUB, job_workflow_ref: [worst, `*${'?'.repeat(200)}b*`, `*${'a'.repeat(127)}?${'a'.repeat(100)}b`] })]);
      const long = 'a'.repeat(10_240);
      let started = Date.now();
      assert.equal(await decide({ job_workflow_ref: long }), 'deny');
      assert.ok(Date.now() - started < 500, `dry run took ${Date.now() - started} ms`);
      const jwt = await polJwt({ job_workflow_ref: long });
      started = Date.now();
      await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      assert.ok(Date.now() - started < 1000, `exchange took ${Date.now() - started} ms`);
      await expectMinted(async () => exchange(await polJwt({ job_workflow_ref: `${long}b` })));
    });

    it('P07: exact code points: no case folding, no full-width or homoglyph match, no normalisation', async () => {
      const nfc = 'repo:acme/café:ref:refs/heads/main'.normalize('NFC');
      await savePolicies([allowOrg({ sub: ['repo:Acme/App:*', nfc] })]);
      for (const sub of ['repo:acme/app:ref:refs/heads/main', 'repo:ACME/APP:ref:refs/heads/main', 'repo:Ａcme/App:ref:refs/heads/main', 'repo:Аcme/App:ref:refs/heads/main', nfc.normalize('NFD')]) {
        const jwt = await polJwt({ sub });
        await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      }
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:Acme/App:ref:refs/heads/main' })));
      await expectMinted(async () => exchange(await polJwt({ sub: nfc })));
    });

    it('P08: a sub pattern admitting pull_request subjects is warned about and admits PR code; an environment pin keeps it out', async () => {
      assert.ok((await savePolicies([allowOrg({ sub: 'repo:acme/app:*', repository_id: '123456' })])).includes('pull_request_subject'));
      // Pinned: what the warning says happens.
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:acme/app:pull_request', ref: 'refs/pull/7/merge', environment: undefined })));
      assert.deepEqual(await savePolicies([allowOrg({ sub: 'repo:acme/app:environment:prod', environment: 'prod', job_workflow_ref: 'acme/app/.github/workflows/deploy.yml@refs/heads/main' })]), []);
      const pr = await polJwt({ sub: 'repo:acme/app:pull_request', ref: 'refs/pull/7/merge', environment: undefined });
      const { details } = await expectRefused(() => exchange(pr), 'invalid_request', { secret: pr, reason: 'no_allow_policy_matched' });
      assert.deepEqual((details!.trace as DryRun['trace'])[0]!.failedRule, { claimPath: 'sub', failure: 'no_pattern_matched' });
      // pull_request_target runs in the base context with the base ref, but no environment approval.
      const target = await polJwt({ sub: 'repo:acme/app:environment:prod', environment: undefined, event_name: 'pull_request_target' });
      const denied = await expectRefused(() => exchange(target), 'invalid_request', { secret: target, reason: 'no_allow_policy_matched' });
      assert.deepEqual((denied.details!.trace as DryRun['trace'])[0]!.failedRule, { claimPath: 'environment', failure: 'absent' });
      await expectMinted(async () => exchange(await polJwt({ sub: 'repo:acme/app:environment:prod' })));
    });

    it('P09: policies pinning repository_id and repository_owner_id refuse a renamed or re-created repository', async () => {
      await savePolicies([allowOrg({ sub: SUB, repository_id: '123456', repository_owner_id: '654321' })]);
      for (const [overrides, claimPath] of [[{ repository_id: '999999' }, 'repository_id'], [{ repository_owner_id: '111111' }, 'repository_owner_id'], [{ repository_id: undefined }, 'repository_id']] as const) {
        const jwt = await polJwt(overrides);
        const { details } = await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
        assert.equal((details!.trace as DryRun['trace'])[0]!.failedRule!.claimPath, claimPath);
      }
      await expectMinted(async () => exchange(await polJwt()));
    });

    it('P10: claim type confusion: numbers, null, objects and booleans match no pattern; arrays are not joined', async () => {
      await savePolicies([allowOrg({ sub: SUB, repository_id: '123456', repository: 'acme/app,acme/lib' })]);
      for (const repository_id of [123456, null, { id: '123456' }, true, [123456], []]) {
        const jwt = await polJwt({ repository_id, repository: 'acme/app,acme/lib' });
        const { details } = await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
        assert.deepEqual((details!.trace as DryRun['trace'])[0]!.failedRule, { claimPath: 'repository_id', failure: 'not_a_string' }, JSON.stringify(repository_id));
      }
      const joined = await polJwt({ repository: ['acme/app', 'acme/lib'] });
      await expectRefused(() => exchange(joined), 'invalid_request', { secret: joined, reason: 'no_allow_policy_matched' });
      // Documented: an array claim matches when one of its strings does.
      await expectMinted(async () => exchange(await polJwt({ repository_id: [7, '123456'], repository: 'acme/app,acme/lib' })));
    });

    it('P12: claims named __proto__, constructor and hasOwnProperty come from the token only; no prototype pollution', async () => {
      assert.deepEqual(await savePolicies([allowOrg({ sub: SUB, constructor: 'c', hasOwnProperty: 'h' })]), []);
      const saved = (await policyState()).policies as Array<{ rules: Record<string, unknown> }>;
      assert.ok(Object.hasOwn(saved[0]!.rules, 'constructor') && Object.hasOwn(saved[0]!.rules, 'hasOwnProperty'));
      // Absent claims are absent, not Object.prototype's members.
      let jwt = await polJwt();
      const { details } = await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      assert.deepEqual((details!.trace as DryRun['trace'])[0]!.failedRule, { claimPath: 'constructor', failure: 'absent' });
      await expectMinted(async () => exchange(await polJwt({ constructor: 'c', hasOwnProperty: 'h' })));
      // A __proto__ claim in the token is an ordinary claim; it reaches no prototype.
      await savePolicies([allowOrg({ sub: SUB, '__proto__.admin': 'yes' })]);
      const { sub: _s, ...rest } = claims(polUrl);
      jwt = signCompact(h, polKey, { alg: 'ES256', kid: 'pol-1' }, `${JSON.stringify(rest).slice(0, -1)},"sub":"${SUB}","__proto__":{"admin":"yes","polluted":"yes"}}`);
      await expectMinted(() => exchange(jwt));
      jwt = await polJwt({ admin: 'yes' });
      const absent = await expectRefused(() => exchange(jwt), 'invalid_request', { secret: jwt, reason: 'no_allow_policy_matched' });
      assert.deepEqual((absent.details!.trace as DryRun['trace'])[0]!.failedRule, { claimPath: '__proto__.admin', failure: 'absent' });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).admin, undefined);
      // Pinned: a JSON body with a literal "__proto__" key is refused by the JSON parser (400,
      // nothing saved), so such a rule is written with a quoted path instead.
      const before = await policyState();
      const res = await h.app.inject({
        method: 'PATCH',
        url: `/api/orgs/${ORG}/auth/policies/${before.id}`,
        headers: { authorization: `token ${admin.token}`, 'content-type': 'application/json' },
        payload: `{"policies":[{"decision":"allow","tokenType":"organization","authorizedPermissions":[],"rules":{"sub":"*","__proto__":"x"}}]}`,
      });
      expectError(res, 400, 'invalid_json');
      assert.deepEqual(await policyState(), before);
      const dry = await h.app.inject({
        method: 'POST',
        url: `/api/orgs/${ORG}/oidc/issuers/${polId}/policies/test`,
        headers: { authorization: `token ${admin.token}`, 'content-type': 'application/json' },
        payload: `{"requestedTokenType":"organization","claims":{"sub":"x","__proto__":{"polluted":"yes"}}}`,
      });
      expectError(dry, 400, 'invalid_json');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('P11: deny wins whatever the order; least privilege; a replaced or deleted policy applies to the next exchange', async () => {
      const list = [
        allowOrg({ sub: SUB }),
        allowOrg({ sub: SUB, environment: 'prod' }, { authorizedPermissions: ['admin'] }),
        denyOrg({ ref: 'refs/heads/evil' }),
      ];
      await savePolicies(list);
      // Several allows match: a plain request gets a plain token, admin only when asked for.
      const plain = await expectMinted(async () => exchange(await polJwt()));
      assert.equal(plain.scope, '');
      const me = (await call(h, 'GET', '/api/user', { token: plain.access_token })).json();
      const listed = (await call(h, 'GET', `/api/orgs/${ORG}/tokens`, { token: admin.token })).json().tokens as Array<{ name: string; admin: boolean }>;
      assert.equal(listed.find((t) => t.name === me.tokenInfo.name)!.admin, false);
      assert.equal((await expectMinted(async () => exchange(await polJwt(), { scope: 'admin' }))).scope, 'admin');
      // The deny wins over both allows, in every order (the dry run with reordered drafts agrees).
      const evil = await polJwt({ ref: 'refs/heads/evil' });
      await expectRefused(() => exchange(evil), 'invalid_request', { secret: evil, reason: 'deny_policy_matched' });
      for (const order of [list, [...list].reverse(), [list[2]!, list[0]!, list[1]!]]) {
        const r = await dryRun({ claims: claims(polUrl, { ref: 'refs/heads/evil' }), policies: order, scope: 'admin' });
        assert.deepEqual([r.decision, r.reason, r.policyVersion], ['deny', 'deny_policy_matched', null]);
        assert.equal(await decide({}, order), 'allow');
      }
      // Replaced between signing and exchanging: the new list decides.
      const signed = await polJwt();
      await savePolicies([allowOrg({ sub: 'repo:acme/other:*' })]);
      await expectRefused(() => exchange(signed), 'invalid_request', { secret: signed, reason: 'no_allow_policy_matched' });
      await savePolicies([allowOrg({ sub: SUB }), denyOrg({})]);
      await expectRefused(() => exchange(signed), 'invalid_request', { secret: signed, reason: 'deny_policy_matched' });
      await savePolicies([allowOrg({ sub: SUB })]);
      // Deleted (with its issuer): the next exchange is refused, and a dry run is 404.
      const del = await call(h, 'DELETE', `/api/orgs/${ORG}/oidc/issuers/${polId}`, { token: admin.token });
      assert.equal(del.statusCode, 204, del.body);
      await expectRefused(() => exchange(signed), 'invalid_request', { secret: signed, reason: 'issuer_not_registered' });
      expectError(await testPoliciesCall(h, admin.token, ORG, polId, { claims: claims(polUrl), requestedTokenType: 'organization' }), 404, 'issuer_not_found');
    });
  });
}
