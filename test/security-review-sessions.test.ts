import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { databaseKinds } from './support/databases.js';
import { uniqueName } from './support/harness.js';
import { startLive, type LiveHarness } from './support/live.js';

/**
 * W07's last clause, "KDF per A6", had no test: the stored hash of a password set over HTTP is
 * scrypt with the cheat sheet's parameters (N=2^17, r=8, p=1), a fresh salt per hash, and no
 * 72-byte cut-off, checked on the row the endpoint wrote.
 */

/** scrypt$N$r$p$salt$hash with a salt of at least 16 bytes and a 32-byte key, base64url. */
const OWASP_SCRYPT = /^scrypt\$131072\$8\$1\$([A-Za-z0-9_-]{22,})\$([A-Za-z0-9_-]{43})$/;

for (const kind of databaseKinds()) {
  describe(`security review: password storage over HTTP (${kind})`, () => {
    let h: LiveHarness;
    before(async () => {
      h = await startLive(kind);
    });
    after(async () => h.close());

    const storedHash = async (login: string) =>
      (await h.services.database.db.selectFrom('users').select('password_hash').where('login', '=', login).executeTakeFirstOrThrow()).password_hash!;

    async function signIn(login: string, password: string): Promise<{ cookie: string; csrf: string }> {
      const res = await h.http('POST', '/api/session', { body: { login, password } });
      assert.equal(res.status, 200, res.text);
      const cookie = String(res.headers['set-cookie']).split(';')[0]!;
      h.secrets.add(cookie.slice(cookie.indexOf('=') + 1));
      h.secrets.add(res.json.csrfToken);
      return { cookie, csrf: res.json.csrfToken as string };
    }

    it('W07: a password changed over HTTP is stored as scrypt N=2^17, r=8, p=1 with a fresh salt; 72-byte prefixes do not collide', async () => {
      const first = `first-${'x'.repeat(20)}`;
      const login = uniqueName('kdf');
      h.secrets.add(first);
      await createUser(h.deps, NO_REQUEST, SYSTEM, { login, email: 'kdf@example.com', password: first });
      const s = await signIn(login, first);

      // A long passphrase whose first 72 bytes are another password's.
      const next = `${'p'.repeat(72)}-and-then-some-more-${Date.now()}`;
      const prefix = next.slice(0, 72);
      h.secrets.add(next);
      h.secrets.add(prefix);
      const changed = await h.http('PUT', '/api/user/password', { headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: { currentPassword: first, newPassword: next } });
      assert.equal(changed.status, 204, changed.text);

      const hash = await storedHash(login);
      const m = OWASP_SCRYPT.exec(hash);
      assert.ok(m, `stored hash format: ${hash.split('$').slice(0, 4).join('$')}`);
      assert.ok(Buffer.from(m[1]!, 'base64url').length >= 16, 'salt of at least 128 bits');
      assert.ok(!hash.includes(next) && !hash.includes(Buffer.from(next).toString('base64url')), 'the password itself is not stored');

      // The same password for another user gets another salt, hence another hash.
      const twin = uniqueName('kdf');
      await createUser(h.deps, NO_REQUEST, SYSTEM, { login: twin, email: 'kdf2@example.com', password: first });
      const t = await signIn(twin, first);
      assert.equal((await h.http('PUT', '/api/user/password', { headers: { cookie: t.cookie, 'x-csrf-token': t.csrf }, body: { currentPassword: first, newPassword: next } })).status, 204);
      const twinHash = await storedHash(twin);
      assert.match(twinHash, OWASP_SCRYPT);
      assert.notEqual(OWASP_SCRYPT.exec(twinHash)![1], m[1], 'a fresh salt per hash');

      // No 72-byte cut-off: the prefix alone is a wrong password, the whole one signs in.
      const wrong = await h.http('POST', '/api/session', { body: { login, password: prefix } });
      assert.equal(wrong.status, 401, wrong.text);
      await signIn(login, next);
    });
  });
}
