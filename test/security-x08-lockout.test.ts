import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { databaseKinds } from './support/databases.js';
import { startHarness, uniqueName, type Harness } from './support/harness.js';
import { auditRows, listen, LOOPBACK, request, statusCounts } from './support/live-http.js';

/** The known-browser cookie a sign-in set (`tessera_known=…`), for the next request's Cookie header. */
function knownCookie(headers: Headers): string {
  const pair = headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('tessera_known='));
  assert.ok(pair, 'a sign-in sets the known-browser cookie');
  return pair;
}

for (const kind of databaseKinds()) {
  describe(`X08: a stranger cannot lock an account out (${kind})`, () => {
    let h: Harness;
    let base: string;

    before(async () => {
      // The per-address limit lowered from 20 to 10, to spend fewer password hashes reaching it.
      h = await startHarness(kind, { trustProxy: [LOOPBACK], loginLimits: { perAccount: 5, perAddress: 10, windowMs: 15 * 60_000 } });
      base = await listen(h);
    });
    after(async () => h.close());

    it("X08: failed sign-ins for someone else's login from another address do not lock out the owner's known address or browser; per-address limits stop the guesser", async () => {
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      h.secrets.add(password);
      const owner = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('owner'), email: 'o@example.com', password });
      const A = '192.0.2.10'; // the owner's office
      const B = '203.0.113.66'; // the attacker
      const C = '198.51.100.77'; // the owner's laptop, on a new network
      const D = '198.51.100.88'; // an unknown address

      // The owner signs in from A with their browser: A and that browser become known to the account.
      const first = await request(base, 'POST', '/api/session', { from: A, body: { login: owner.login, password } });
      assert.equal(first.status, 200);
      const cookie = knownCookie(first.headers);
      h.secrets.add(cookie.split('=')[1]!);
      const setCookies = first.headers.getSetCookie().join('\n');
      assert.match(setCookies, /tessera_known=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);

      // The attacker exhausts the per-account limit from B, concurrently (40 guesses).
      const guesses = await Promise.all(Array.from({ length: 40 }, (_, i) => request(base, 'POST', '/api/session', { from: B, body: { login: owner.login, password: `guess-${i}` } })));
      assert.deepEqual(statusCounts(guesses), { 401: 5, 429: 35 });
      const failures = (await auditRows(h, 'login_failed')).filter((e) => e.targetId === owner.id);
      assert.equal(failures.length, 5);
      assert.ok(failures.every((e) => e.sourceIp === B));

      // The owner still signs in from the known address A (no cookie) …
      const fromA = await request(base, 'POST', '/api/session', { from: A, body: { login: owner.login, password } });
      assert.equal(fromA.status, 200, JSON.stringify(fromA.body));
      // … and from a known browser on a new address C.
      const fromC = await request(base, 'POST', '/api/session', { from: C, body: { login: owner.login, password }, headers: { cookie } });
      assert.equal(fromC.status, 200, JSON.stringify(fromC.body));
      // An unknown address without the cookie is still refused, even with the right password.
      const fromD = await request(base, 'POST', '/api/session', { from: D, body: { login: owner.login, password } });
      assert.equal(fromD.status, 429);
      assert.ok(Number(fromD.headers.get('retry-after')) > 0);
      // A forged or foreign cookie does not help.
      const forged = await request(base, 'POST', '/api/session', { from: D, body: { login: owner.login, password }, headers: { cookie: `tessera_known=${'A'.repeat(43)}` } });
      assert.equal(forged.status, 429);
      // The attacker's own address is stopped by its per-address limit (10 failures here), whatever login it tries.
      // (In batches of 5: more password checks at once than the hashing slots and their queue get 503.)
      for (const batch of [5]) {
        const sprays = await Promise.all(Array.from({ length: batch }, () => request(base, 'POST', '/api/session', { from: B, body: { login: uniqueName('spray'), password: 'Password1!' } })));
        assert.deepEqual(statusCounts(sprays), { 401: batch });
      }
      const stopped = await request(base, 'POST', '/api/session', { from: B, body: { login: uniqueName('spray'), password: 'Password1!' } });
      assert.equal(stopped.status, 429);
      assert.equal(stopped.body.reason, 'too_many_attempts');
      // The attacker's guesses never created a session; the owner's sign-ins did (3).
      const sessions = (await auditRows(h, 'session_created')).filter((e) => e.actorUserId === owner.id);
      assert.equal(sessions.length, 3);
      assert.ok(sessions.every((e) => e.sourceIp !== B && e.sourceIp !== D));
      // The known browser is known to this account only: another account's limit still applies to it.
      const other = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('other'), email: 'x@example.com', password });
      const locking = await Promise.all(Array.from({ length: 5 }, (_, i) => request(base, 'POST', '/api/session', { from: `203.0.113.${100 + i}`, body: { login: other.login, password: `nope-${i}` } })));
      assert.deepEqual(statusCounts(locking), { 401: 5 });
      const otherFromC = await request(base, 'POST', '/api/session', { from: C, body: { login: other.login, password }, headers: { cookie } });
      assert.equal(otherFromC.status, 429);
    });
  });
}
