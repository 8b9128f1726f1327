import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HASH_CONCURRENCY, HASH_QUEUE } from '../src/domain/users/password.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { seedPerson, withServices } from './support/fault-db.js';
import { request, statusCounts, type LiveReply } from './support/live-http.js';
import { startServer, type ServerProcess } from './support/server-process.js';

/** The p-th percentile (0-100) of `values`, nearest rank. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

for (const kind of databaseKinds()) {
  describe(`X04: a burst of sign-ins does not stall the database (${kind})`, () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let token: string;
    let userId: string;

    before(async () => {
      db = await createTestDatabase(kind);
      const person = await withServices(db.url, (services) => seedPerson(services));
      token = person.tokens[0]!.value;
      userId = person.user.id;
      server = await startServer(db.url);
    });
    after(async () => {
      await server.stop();
      await db.drop();
      assert.ok(!server.output().includes(token), 'the token never reached the logs');
    });

    it('X04: 60 anonymous sign-ins at once from one address: hashing is bounded (503 + Retry-After past it), and a token create keeps p99 under 250 ms', async () => {
      const create = () => request(server.url, 'POST', '/api/user/tokens', { token, body: { description: 'during the burst' } });
      // Warm up the path being measured.
      for (let i = 0; i < 10; i++) assert.equal((await create()).status, 200);

      let done = false;
      const burst = Promise.all(Array.from({ length: 60 }, (_, i) => request(server.url, 'POST', '/api/session', { body: { login: `nobody-${i}`, password: 'a-guess-at-random' } }))).finally(() => {
        done = true;
      });
      const latencies: number[] = [];
      const started = Date.now();
      // Token creates one after another for as long as the burst runs (at least 40 of them).
      while (!done || latencies.length < 40) {
        const r = await create();
        assert.equal(r.status, 200, JSON.stringify(r.body));
        latencies.push(r.ms);
        if (Date.now() - started > 20_000) break;
      }
      const replies: LiveReply[] = await burst;
      const counts = statusCounts(replies);
      const p99 = percentile(latencies, 99);
      const p50 = percentile(latencies, 50);
      console.log(`X04 (${kind}): burst ${JSON.stringify(counts)} in ${Date.now() - started} ms; token create p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length}`);

      // Only the hashing slots and their queue were let through at once; the rest were refused at once.
      const verified = counts[401] ?? 0;
      assert.ok(verified >= HASH_CONCURRENCY + HASH_QUEUE && verified <= 20, JSON.stringify(counts));
      assert.equal(verified + (counts[503] ?? 0) + (counts[429] ?? 0), 60, JSON.stringify(counts));
      assert.ok((counts[503] ?? 0) > 0, 'past the bound, refused');
      for (const r of replies.filter((x) => x.status === 503 || x.status === 429)) {
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.equal(r.body.code, r.status);
        assert.ok(typeof r.body.requestId === 'string' && typeof r.body.message === 'string');
      }
      for (const r of replies.filter((x) => x.status === 503)) assert.equal(r.body.reason, 'password_checks_busy');
      assert.ok(p99 < 250, `token create p99 ${p99.toFixed(1)} ms during the burst`);

      // Every verified attempt is in the audit trail, and every token create was committed.
      await withServices(db.url, async (services) => {
        const events = await services.deps.store.listAudit(null, 100_000);
        assert.equal(events.filter((e) => e.action === 'login_failed').length, verified);
        assert.equal(events.filter((e) => e.action === 'access_token_created' && e.actorUserId === userId).length, 1 + 10 + latencies.length, 'the seeded token, the warm-up and the measured creates');
      });
    });
  });
}
