import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_TOKEN_FAILURE_LIMIT } from '../src/domain/tokens/auth-throttle.js';
import { databaseKinds } from './support/databases.js';
import { makePerson, startHarness, type Harness } from './support/harness.js';
import { listen, LOOPBACK, request, statusCounts } from './support/live-http.js';

/** A well-formed but unknown token value: `pul-` and 40 hex characters (the checksum will not match most of the time). */
function randomToken(i: number): string {
  return i % 2 === 0 ? `pul-${randomBytes(20).toString('hex')}` : `garbage-${i}`;
}

for (const kind of databaseKinds()) {
  describe(`A10: random tokens from one client (${kind})`, () => {
    let h: Harness;
    let base: string;

    before(async () => {
      h = await startHarness(kind, { trustProxy: [LOOPBACK], tokenFailureLimit: DEFAULT_TOKEN_FAILURE_LIMIT });
      base = await listen(h);
    });
    after(async () => h.close());

    it('A10: 1,000 random and unknown tokens from one client: 429 + Retry-After past the threshold; other clients and valid tokens unaffected', async () => {
      const person = await makePerson(h);
      const limit = DEFAULT_TOKEN_FAILURE_LIMIT.perAddress;
      const auditBefore = (await h.deps.store.listAudit(null, 100_000)).length;
      const replies = [];
      // 1,000 requests, 100 at a time: well past the limit, bounded in time.
      for (let batch = 0; batch < 10; batch++) {
        replies.push(...(await Promise.all(Array.from({ length: 100 }, (_, i) => request(base, 'GET', '/api/user', { from: '203.0.113.50', token: randomToken(batch * 100 + i) })))));
      }
      const counts = statusCounts(replies);
      assert.deepEqual(counts, { 401: limit, 429: 1000 - limit });
      for (const r of replies.filter((x) => x.status === 429)) {
        assert.equal(r.body.reason, 'too_many_failed_authentications');
        assert.equal(r.body.code, 429);
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      }
      // A valid token from the same address still works, and another client's failures still get 401.
      const mine = await request(base, 'GET', '/api/user', { from: '203.0.113.50', token: person.token });
      assert.equal(mine.status, 200);
      assert.equal((await request(base, 'GET', '/api/user', { from: '198.51.100.50', token: randomToken(0) })).status, 401);
      assert.equal((await request(base, 'GET', '/api/user', { from: '198.51.100.51', token: person.token })).status, 200);
      // Nothing was written by the storm.
      assert.equal((await h.deps.store.listAudit(null, 100_000)).length, auditBefore);
      // The window slides.
      h.clock.advance(DEFAULT_TOKEN_FAILURE_LIMIT.windowMs);
      assert.equal((await request(base, 'GET', '/api/user', { from: '203.0.113.50', token: randomToken(0) })).status, 401);
    });
  });
}
