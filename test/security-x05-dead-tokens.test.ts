import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from './support/databases.js';
import { call, makeOrg, makePerson, makeTeam, makeToken, startHarness, uniqueName, type Harness } from './support/harness.js';
import { auditRows, listen, LOOPBACK, request, statusCounts } from './support/live-http.js';

for (const kind of databaseKinds()) {
  describe(`X05: the audit table grows by a bounded amount (${kind})`, () => {
    let h: Harness;
    let base: string;

    before(async () => {
      h = await startHarness(kind, { trustProxy: [LOOPBACK] });
      base = await listen(h);
    });
    after(async () => h.close());

    it('X05: thousands of requests with a revoked or expired token write one row per token per minute, carrying the count of uses', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const team = await makeTeam(h, org);
      const teamTok = await makeToken(h, admin.principal, { type: 'team', org: org.name, team: team.name }, { name: uniqueName('ci') });
      assert.equal((await call(h, 'DELETE', `/api/orgs/${org.name}/teams/${team.name}/tokens/${teamTok.id}`, { token: admin.token })).statusCode, 204);
      const expires = h.clock.nowSec() + 60;
      const expTok = await makeToken(h, admin.principal, { type: 'personal' }, { expires });
      h.clock.set((expires + 1) * 1000);

      // 1,000 uses of each dead token, 100 at a time, from several addresses.
      const replies = [];
      for (let batch = 0; batch < 10; batch++) {
        replies.push(
          ...(await Promise.all(
            Array.from({ length: 100 }, (_, i) => request(base, 'GET', '/api/user', { from: `203.0.113.${i % 7}`, token: i % 2 === 0 ? teamTok.value : expTok.value })),
          )),
        );
      }
      assert.deepEqual(statusCounts(replies), { 401: 1000 });
      assert.equal(replies.filter((r) => r.body.reason === 'token_revoked').length, 500);
      assert.equal(replies.filter((r) => r.body.reason === 'token_expired').length, 500);
      let revoked = (await auditRows(h, 'access_token_revoked_used')).filter((e) => e.targetId === teamTok.id);
      let expired = (await auditRows(h, 'access_token_expired_used')).filter((e) => e.targetId === expTok.id);
      assert.equal(revoked.length, 1, 'one row for the minute');
      assert.equal(expired.length, 1);
      assert.equal(revoked[0]!.details?.uses, 1);
      assert.equal(revoked[0]!.details?.team, team.name);
      assert.equal(expired[0]!.details?.expires, expires);

      // A minute later the next use writes one row standing for itself and the 499 counted meanwhile.
      h.clock.advance(60_000);
      assert.equal((await request(base, 'GET', '/api/user', { token: teamTok.value })).status, 401);
      assert.equal((await request(base, 'GET', '/api/user', { token: expTok.value })).status, 401);
      revoked = (await auditRows(h, 'access_token_revoked_used')).filter((e) => e.targetId === teamTok.id);
      expired = (await auditRows(h, 'access_token_expired_used')).filter((e) => e.targetId === expTok.id);
      assert.equal(revoked.length, 2);
      assert.equal(expired.length, 2);
      const newest = (rows: typeof revoked) => rows.reduce((a, b) => (a.occurredAt >= b.occurredAt ? a : b));
      assert.equal(newest(revoked).details?.uses, 500);
      assert.equal(newest(expired).details?.uses, 500);
      // The console's description says how many uses a row stands for.
      const page = await call(h, 'GET', `/api/orgs/${org.name}/auditlogs`, { token: admin.token });
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /\(500 uses\)/);
    });
  });
}
