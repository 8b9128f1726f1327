import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, KeyObject, sign as rawSign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, importJWK, type JWK } from 'jose';
import { KEY_MAX_AGE_MS, KEY_REFETCH_COOLDOWN_MS } from '../src/domain/oidc/issuer-keys.js';
import { databaseKinds } from './support/databases.js';
import { discoveryHandler, startLocalServer, type LocalServer } from './support/issuers.js';
import { startLive, type LiveHarness, type LiveResponse } from './support/live.js';
import { ghClaims, GRANT, ID_TOKEN, ORG_TYPE, SUB } from './support/oidc-fixture.js';
import { makeOrg, makePerson } from './support/harness.js';

/**
 * K01-K03 at the exchange endpoint, over HTTP: the earlier tests drove the key cache in-process.
 * A loopback issuer serves discovery and a JWKS the test swaps; every /jwks request it receives is
 * counted, so "at most one fetch per cooldown" is measured at the issuer, not inside our code.
 */

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

for (const kind of databaseKinds()) {
  describe(`security review: issuer key sets at the exchange endpoint (${kind})`, () => {
    let h: LiveHarness;
    let issuer: LocalServer;
    let jwks: () => unknown;
    let orgName: string;
    let orgId: string;
    let url: string;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let goodJwk: JWK;

    before(async () => {
      h = await startLive(kind, { allowLoopbackIssuers: true });
      goodJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'good', alg: 'RS256', use: 'sig' };
      jwks = () => ({ keys: [goodJwk] });
      issuer = await startLocalServer();
      issuer.handler = discoveryHandler(() => issuer.origin, () => jwks());
      url = `${issuer.origin}/k`;
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      orgName = org.name;
      orgId = org.id;
      const reg = await h.http('POST', `/api/orgs/${orgName}/oidc/issuers`, { token: admin.token, body: { name: 'k-rows', url } });
      assert.equal(reg.status, 200, reg.text);
      const policy = await h.http('GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${reg.json.id}`, { token: admin.token });
      const saved = await h.http('PATCH', `/api/orgs/${orgName}/auth/policies/${policy.json.id}`, {
        token: admin.token,
        body: { policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }] },
      });
      assert.equal(saved.status, 200, saved.text);
    });
    after(async () => {
      await h.close();
      await issuer.close();
    });

    const jwksFetches = () => issuer.requests.filter((p) => p.endsWith('/jwks')).length;

    function signWith(header: Record<string, unknown>, key: KeyObject | Buffer, overrides: Record<string, unknown> = {}): string {
      const input = `${b64({ typ: 'JWT', ...header })}.${b64(ghClaims(url, orgName, h.clock.nowSec(), overrides))}`;
      const alg = header.alg as string;
      let sig: Buffer;
      if (alg.startsWith('HS')) sig = createHmac('sha256', key as Buffer).update(input).digest();
      else if (alg.startsWith('ES')) sig = rawSign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
      else sig = rawSign('sha256', Buffer.from(input), key as KeyObject);
      const jwt = `${input}.${sig.toString('base64url')}`;
      h.secrets.add(jwt);
      return jwt;
    }
    const good = () => signWith({ alg: 'RS256', kid: 'good' }, rsa.privateKey);

    const exchange = (jwt: string) =>
      h.http('POST', '/api/oauth/token', { body: { grant_type: GRANT, audience: `urn:pulumi:org:${orgName}`, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: jwt } });

    const counts = async () => ({
      tokens: (await h.deps.store.listTokens({ type: 'organization', orgId }, 'all', h.clock.nowSec(), 100_000)).length,
      audit: (await h.deps.store.listAudit(orgId, 100_000)).length,
    });

    function expectETX(res: LiveResponse, status: number, error: string, jwt: string): void {
      assert.equal(res.status, status, res.text);
      assert.match(String(res.headers['content-type']), /^application\/json\b/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.json.error, error);
      assert.ok(!res.text.includes(jwt.split('.')[2]!), 'no echo');
    }

    /** Sends `jwts` 40 at a time; each must be refused with `status`/`error`, nothing minted, one denial event each. */
    async function expectAllRefused(jwts: string[], status = 400, error = 'invalid_request'): Promise<void> {
      const before = await counts();
      for (let i = 0; i < jwts.length; i += 40) {
        const batch = jwts.slice(i, i + 40);
        const results = await Promise.all(batch.map((j) => exchange(j)));
        results.forEach((r, n) => expectETX(r, status, error, batch[n]!));
      }
      const after = await counts();
      assert.equal(after.tokens, before.tokens, 'no token minted');
      assert.equal(after.audit - before.audit, jwts.length, 'one denial event per refused exchange');
      const logs = h.logs.text();
      for (const j of jwts) assert.ok(!logs.includes(j.split('.')[2]!), 'no subject token in the logs');
    }

    it('K01: 1,000 exchanges with random unknown kids are all E-TX, NC, and cost the issuer at most one JWKS fetch per cooldown', async () => {
      assert.equal((await exchange(good())).status, 200, 'the good key works (and is cached)');
      h.clock.advance(KEY_REFETCH_COOLDOWN_MS);
      const fetchesBefore = jwksFetches();
      const jwts = Array.from({ length: 1000 }, (_, n) => signWith({ alg: 'RS256', kid: `unknown-${n}-${Math.random().toString(36).slice(2)}` }, rsa.privateKey));
      await expectAllRefused(jwts);
      assert.ok(jwksFetches() - fetchesBefore <= 1, `${jwksFetches() - fetchesBefore} JWKS fetches within one cooldown`);
      // The next cooldown allows one more, however many unknown kids arrive.
      h.clock.advance(KEY_REFETCH_COOLDOWN_MS);
      const more = Array.from({ length: 40 }, (_, n) => signWith({ alg: 'RS256', kid: `later-${n}` }, rsa.privateKey));
      const mid = jwksFetches();
      await expectAllRefused(more);
      assert.ok(jwksFetches() - mid <= 1);
      assert.equal((await exchange(good())).status, 200, 'the known key still works');
    });

    it('K02: an empty, HTML, invalid or failing JWKS keeps the last good keys (never cached empty); past their max age, 503 and never an acceptance', async () => {
      assert.equal((await exchange(good())).status, 200);
      const broken: Array<[string, () => void]> = [
        ['{"keys":[]}', () => (issuer.handler = discoveryHandler(() => issuer.origin, () => ({ keys: [] })))],
        ['HTML', () => (issuer.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>nope</html>'))],
        ['invalid JSON', () => (issuer.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":['))],
        ['500', () => (issuer.handler = (_req, res) => res.writeHead(500).end())],
      ];
      try {
        for (const [what, breakIt] of broken) {
          breakIt();
          h.clock.advance(KEY_REFETCH_COOLDOWN_MS);
          const before = jwksFetches() + issuer.requests.length;
          // An unknown kid makes the cache refetch: the broken answer must not replace the good keys.
          await expectAllRefused([signWith({ alg: 'RS256', kid: `new-${what}` }, rsa.privateKey)]);
          assert.ok(jwksFetches() + issuer.requests.length > before, `${what}: the refetch happened`);
          const ok = await exchange(good());
          assert.equal(ok.status, 200, `${what}: the last good keys still verify: ${ok.text}`);
        }
        // Past the max age with the issuer still broken: 503 temporarily_unavailable, nothing minted.
        h.clock.advance(KEY_MAX_AGE_MS);
        await expectAllRefused([good()], 503, 'temporarily_unavailable');
      } finally {
        issuer.handler = discoveryHandler(() => issuer.origin, () => jwks());
      }
      h.clock.advance(KEY_REFETCH_COOLDOWN_MS);
      assert.equal((await exchange(good())).status, 200, 'recovers once the issuer serves keys again');
    });

    it('K03: an oct key, a use:enc key and a key whose alg differs from the token alg never verify a signature', async () => {
      const secret = Buffer.from('a shared secret the issuer published by mistake');
      const enc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const ps = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const octJwk: JWK = { kty: 'oct', k: secret.toString('base64url'), kid: 'oct', alg: 'HS256' };
      const encJwk: JWK = { ...(await exportJWK(enc.publicKey)), kid: 'enc', use: 'enc' };
      const psJwk: JWK = { ...(await exportJWK(ps.publicKey)), kid: 'ps', alg: 'PS256', use: 'sig' };
      await importJWK(psJwk, 'PS256'); // a well-formed key, only for another algorithm
      jwks = () => ({ keys: [goodJwk, octJwk, encJwk, psJwk] });
      try {
        h.clock.advance(KEY_MAX_AGE_MS); // the next exchange loads the new set
        assert.equal((await exchange(good())).status, 200, 'the set loads; its good key still verifies');
        await expectAllRefused([
          signWith({ alg: 'HS256', kid: 'oct' }, secret),
          signWith({ alg: 'HS256' }, secret),
          signWith({ alg: 'ES256', kid: 'enc' }, enc.privateKey),
          signWith({ alg: 'ES256' }, enc.privateKey),
          signWith({ alg: 'RS256', kid: 'ps' }, ps.privateKey),
        ]);
      } finally {
        jwks = () => ({ keys: [goodJwk] });
      }
    });
  });
}
