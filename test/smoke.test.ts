import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from './support/databases.js';
import { call, expectError, makePerson, startHarness, type Harness } from './support/harness.js';

for (const kind of databaseKinds()) {
  describe(`smoke (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h.close());

    it('creates, lists, uses and deletes a personal token', async () => {
      const { token, user } = await makePerson(h);
      const me = await call(h, 'GET', '/api/user', { token });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json().githubLogin, user.login);
      const created = await call(h, 'POST', '/api/user/tokens', { token, body: { description: 'ci', expires: h.clock.nowSec() + 3600 } });
      assert.equal(created.statusCode, 200, created.body);
      const { id, tokenValue } = created.json();
      const list = await call(h, 'GET', '/api/user/tokens', { token });
      assert.equal(list.statusCode, 200, list.body);
      assert.ok(list.json().tokens.some((t: { id: string }) => t.id === id));
      assert.equal((await call(h, 'GET', '/api/user', { token: tokenValue })).statusCode, 200);
      assert.equal((await call(h, 'DELETE', `/api/user/tokens/${id}`, { token })).statusCode, 204);
      expectError(await call(h, 'GET', '/api/user', { token: tokenValue }), 401, 'token_revoked');
    });
  });
}
