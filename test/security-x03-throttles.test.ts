import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { NO_REQUEST } from '../src/domain/deps.js';
import { FailureWindow } from '../src/domain/failure-window.js';
import { DEFAULT_EXCHANGE_LIMIT } from '../src/domain/oidc/exchange-throttle.js';
import { SYSTEM } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { databaseKinds } from './support/databases.js';
import { call, makeOrg, makePerson, makeToken, startHarness, TestClock, uniqueName, type Harness } from './support/harness.js';
import { auditRows, listen, LOOPBACK, request, statusCounts, type LiveReply } from './support/live-http.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const ORG_TYPE = 'urn:pulumi:token-type:access_token:organization';
const SUB = 'repo:acme/app:ref:refs/heads/main';

/** Every 429 names its wait. */
function assertRetryAfter(replies: LiveReply[]): void {
  for (const r of replies.filter((x) => x.status === 429)) assert.ok(Number(r.headers.get('retry-after')) >= 1, 'a 429 carries Retry-After');
}

for (const kind of databaseKinds()) {
  describe(`X03: throttles count attempts in flight (${kind})`, () => {
    let h: Harness;
    let base: string;

    before(async () => {
      h = await startHarness(kind, { trustProxy: [LOOPBACK], allowLoopbackIssuers: true, exchangeRefusalLimit: DEFAULT_EXCHANGE_LIMIT });
      base = await listen(h);
    });
    after(async () => h.close());

    it('X03: 40 sign-in attempts on one account sent at once, the right password among them: 5 are verified, the rest 429', async () => {
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      h.secrets.add(password);
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('victim'), email: 'v@example.com', password });
      const stored = await h.deps.store.findPasswordHash(user.id);
      const guesses = Array.from({ length: 40 }, (_, i) => (i === 17 ? password : `wrong-guess-${i}`));
      const replies = await Promise.all(guesses.map((p) => request(base, 'POST', '/api/session', { from: '203.0.113.10', body: { login: user.login, password: p } })));
      const counts = statusCounts(replies);
      const failed = await auditRows(h, 'login_failed');
      const mine = failed.filter((e) => e.targetId === user.id);
      // Exactly the per-account limit of guesses was verified, wherever the right one fell.
      assert.equal(mine.length, 5, `login_failed rows: ${mine.length}; statuses ${JSON.stringify(counts)}`);
      assert.equal(counts[401], 5);
      const won = counts[200] ?? 0;
      assert.ok(won <= 1);
      assert.equal(counts[429], 40 - 5 - won, JSON.stringify(counts));
      assertRetryAfter(replies);
      for (const e of mine) assert.equal(e.sourceIp, '203.0.113.10');
      const sessions = (await auditRows(h, 'session_created')).filter((e) => e.targetId === user.id || e.actorUserId === user.id);
      assert.equal(sessions.length, won, 'a session only for a verified right password');
      // Nothing changed: the password is what it was.
      assert.equal(await h.deps.store.findPasswordHash(user.id), stored);
      // Once the limit is reached nothing more is verified, concurrently or not.
      const later = await request(base, 'POST', '/api/session', { from: '203.0.113.11', body: { login: user.login, password: 'another-wrong-one' } });
      assert.equal(later.status, 429);
      assert.equal((await auditRows(h, 'login_failed')).filter((e) => e.targetId === user.id).length, 5);
    });

    it('X03: 40 concurrent password changes with wrong current passwords: 5 verified, nothing changed', async () => {
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      h.secrets.add(password);
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('holder'), email: 'h@example.com', password });
      const { value: token } = await makeToken(h, { kind: 'user', user, token: null }, { type: 'personal' });
      const stored = await h.deps.store.findPasswordHash(user.id);
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(base, 'PUT', '/api/user/password', { from: '203.0.113.20', token, body: { currentPassword: `stolen-token-guess-${i}`, newPassword: 'attacker-chosen-password' } }),
        ),
      );
      const counts = statusCounts(replies);
      assert.equal(counts[403], 5, JSON.stringify(counts));
      assert.equal(counts[429], 35, JSON.stringify(counts));
      assertRetryAfter(replies);
      assert.equal((await auditRows(h, 'password_change_failed')).filter((e) => e.targetId === user.id).length, 5);
      assert.equal((await auditRows(h, 'password_changed')).filter((e) => e.targetId === user.id).length, 0);
      assert.equal(await h.deps.store.findPasswordHash(user.id), stored);
    });

    it('X03/X05: 100 concurrent refused exchanges naming a real organization: exactly 60 verified and written in full, 40 answered 429 and only counted', async () => {
      const owner = await makePerson(h);
      const org = await makeOrg(h, owner.user);
      const before = h.deps.oidc.exchanges.throttled;
      const form = { audience: `urn:pulumi:org:${org.name}`, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: 'not.a-jwt.at-all' };
      const replies = await Promise.all(Array.from({ length: 100 }, () => request(base, 'POST', '/api/oauth/token', { from: '203.0.113.30', form })));
      const counts = statusCounts(replies);
      assert.equal(counts[400], 60, JSON.stringify(counts));
      assert.equal(counts[429], 40, JSON.stringify(counts));
      assertRetryAfter(replies);
      for (const r of replies.filter((x) => x.status === 429)) assert.equal(r.body.error, 'temporarily_unavailable');
      const denials = (await h.deps.store.listAudit(org.id, 10_000)).filter((e) => e.action === 'oidc_token_exchange_denied');
      assert.equal(denials.length, 60, 'the documented limit holds under concurrency');
      assert.equal(h.deps.oidc.exchanges.throttled - before, 40, 'the 429 answers are counted, not written');
      // Another address is not affected.
      const other = await request(base, 'POST', '/api/oauth/token', { from: '203.0.113.31', form });
      assert.equal(other.status, 400);
    });

    it('X03: a CI fleet of 80 concurrent successful exchanges from one address is never slowed to a 429 (limit 60)', async () => {
      const owner = await makePerson(h);
      const org = await makeOrg(h, owner.user);
      const es = await generateKeyPair('ES256', { extractable: true });
      const jwk: JWK = { ...(await exportJWK(es.publicKey)), kid: 'fleet-1', alg: 'ES256', use: 'sig' };
      const url = 'http://127.0.0.1:9/fleet';
      const reg = await call(h, 'POST', `/api/orgs/${org.name}/oidc/issuers`, { token: owner.token, body: { name: 'fleet', url, jwks: { keys: [jwk] } } });
      assert.equal(reg.statusCode, 200, reg.body);
      const policyId = (await call(h, 'GET', `/api/orgs/${org.name}/auth/policies/oidcissuers/${reg.json().id}`, { token: owner.token })).json().id as string;
      const set = await call(h, 'PATCH', `/api/orgs/${org.name}/auth/policies/${policyId}`, {
        token: owner.token,
        body: { policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }] },
      });
      assert.equal(set.statusCode, 200, set.body);
      const now = h.clock.nowSec();
      const jwts = await Promise.all(
        Array.from({ length: 80 }, async () => {
          const jwt = await new SignJWT({ iss: url, sub: SUB, aud: `urn:pulumi:org:${org.name}`, iat: now, nbf: now, exp: now + 300, jti: randomUUID() })
            .setProtectedHeader({ typ: 'JWT', alg: 'ES256', kid: 'fleet-1' })
            .sign(es.privateKey);
          h.secrets.add(jwt);
          return jwt;
        }),
      );
      const replies = await Promise.all(
        jwts.map((jwt) =>
          request(base, 'POST', '/api/oauth/token', {
            from: '198.51.100.40',
            form: { audience: `urn:pulumi:org:${org.name}`, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: jwt, expiration: '600' },
          }),
        ),
      );
      for (const r of replies) if (typeof r.body.access_token === 'string') h.secrets.add(r.body.access_token);
      assert.deepEqual(statusCounts(replies), { 200: 80 });
      assert.equal((await h.deps.store.listAudit(org.id, 10_000)).filter((e) => e.action === 'oidc_token_exchanged').length, 80);
    });

    it('X03: 40 concurrent issuer registrations in one organization: exactly 20 attempted, 20 refused with 429, nothing registered', async () => {
      const owner = await makePerson(h);
      const org = await makeOrg(h, owner.user);
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, n) => request(base, 'POST', `/api/orgs/${org.name}/oidc/issuers`, { token: owner.token, body: { name: `race-${n}`, url: `https://10.1.0.${n + 1}` } })),
      );
      const counts = statusCounts(replies);
      assert.deepEqual(counts, { 400: 20, 429: 20 });
      for (const r of replies.filter((x) => x.status === 400)) assert.equal(r.body.reason, 'issuer_url_refused');
      for (const r of replies.filter((x) => x.status === 429)) assert.equal(r.body.reason, 'too_many_registrations');
      assertRetryAfter(replies);
      assert.equal((await h.deps.store.listIssuers(org.id)).length, 0);
      assert.equal((await h.deps.store.listAudit(org.id, 1000)).filter((e) => e.action === 'oidc_issuer_created').length, 0);
    });
  });
}

describe('X03: FailureWindow reservations (unit)', () => {
  it('X03: reserves before work; successes release, failures confirm; waits only while attempts in flight fill the limit', async () => {
    const clock = new TestClock();
    const w = new FailureWindow(60_000, () => clock.now(), 2_000);
    const limits = [{ key: 'k', limit: 3 }];
    // 10 concurrent attempts that all succeed: none is refused, each waits its turn.
    const done = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const r = await w.reserve(limits);
        assert.ok(r.ok);
        await new Promise((resolve) => setTimeout(resolve, 5));
        r.ticket.release();
        return true;
      }),
    );
    assert.equal(done.length, 10);
    // 10 concurrent attempts that all fail: 3 are let through, then the rest are refused with the window's wait.
    let verified = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const r = await w.reserve(limits);
        if (!r.ok) return r.retryAfterMs;
        verified++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        r.ticket.fail();
        r.ticket.release(); // resolving twice counts once
        return 0;
      }),
    );
    assert.equal(verified, 3);
    assert.deepEqual(outcomes.filter((ms) => ms > 0), Array(7).fill(60_000));
    clock.advance(60_000);
    assert.ok((await w.reserve(limits)).ok, 'the window slides');
    // An attempt still in flight past the wait bound: the waiter is refused, briefly.
    const w2 = new FailureWindow(60_000, () => clock.now(), 50);
    const held = await w2.reserve([{ key: 'x', limit: 1 }]);
    assert.ok(held.ok);
    const waited = await w2.reserve([{ key: 'x', limit: 1 }]);
    assert.deepEqual(waited, { ok: false, retryAfterMs: 1000 });
  });
});
