import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { REVOKED_WITHOUT_DELETED_AUDIT, ServerPool, TOKENS_WITHOUT_CREATED_AUDIT, inspect, seedPerson, withServices } from './support/fault-db.js';
import { describeOutcome, mapLimit, reasonOf, send, sleep, type Outcome } from './support/fault-http.js';

// Catalog F01 (kill -9 during POST /tokens) and F02 (kill -9 during revoke). Each cycle starts
// `tessera serve`, keeps token creations and deletions in flight, and SIGKILLs the process at a
// random moment 0-50 ms in. What the client was told must hold after the restart:
// "acknowledged => durable" (SECURITY-CATALOG.md, "Nothing lost").

/** kill -9 cycles per database kind: enough to hit every phase of a request. */
const KILLS = 30;
/** The loop stops early once this much time has passed (a loaded machine), but never before MIN_KILLS. */
const LOOP_BUDGET_MS = 22_000;
const MIN_KILLS = 12;
const CREATE_WORKERS = 3;
const DELETE_WORKERS = 3;
/**
 * Seeded tokens the delete workers start with; tokens created in earlier cycles join them. Enough
 * that the workers never run dry on a slow PostgreSQL, where few creations join the pool and each
 * kill leaves its in-flight deletions undecided (they are not retried).
 */
const SEEDED_FOR_DELETE = 150;

interface Token {
  id: string;
  value: string;
}

for (const kind of databaseKinds()) {
  describe(`crash (${kind})`, () => {
    const pool = new ServerPool();
    let db: TestDatabase;
    let auth: string;

    /** Tokens whose 200 reached the client, and that no DELETE was ever sent for. */
    const kept: Token[] = [];
    /** Tokens known to exist that the delete workers may take. */
    const deletable: Token[] = [];
    /** DELETE sent, 204 received. */
    const revoked: Token[] = [];
    /** DELETE sent, no answer (the process died): either outcome is acceptable. */
    const undecided: Token[] = [];
    const unexpected: string[] = [];
    let created = 0;
    /** Acknowledgements that arrived inside the 0-50 ms kill window (warm-ups excluded). */
    let createdInLoop = 0;
    let revokedInLoop = 0;
    let cut = 0;

    before(async () => {
      db = await createTestDatabase(kind);
      const person = await withServices(db.url, (s) => seedPerson(s, 1 + SEEDED_FOR_DELETE));
      auth = person.tokens[0]!.value;
      deletable.push(...person.tokens.slice(1));
    });

    after(async () => {
      await pool.killAll();
      await db.drop();
    });

    it(`F01/F02: up to ${KILLS} kill -9 cycles during POST and DELETE /api/user/tokens`, async (t) => {
      const started = Date.now();
      let cycle = 0;
      for (; cycle < KILLS && (cycle < MIN_KILLS || Date.now() - started < LOOP_BUDGET_MS); cycle++) {
        const server = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
        const agent = new http.Agent({ keepAlive: true, maxSockets: CREATE_WORKERS + DELETE_WORKERS });
        // One creation and one deletion before the clock starts: a fresh process answers the
        // first request of each route slowly (code is compiled lazily), and the kill should land
        // among commits, not before them.
        const warmToken = deletable.shift();
        const [warm, warmDelete] = await Promise.all([
          send(server.url, 'POST', '/api/user/tokens', { token: auth, body: { description: `cycle ${cycle} warm-up` }, agent }),
          warmToken ? send(server.url, 'DELETE', `/api/user/tokens/${warmToken.id}`, { token: auth, agent }) : undefined,
        ]);
        if (warm.status === 200) {
          created += 1;
          kept.push({ id: warm.json.id, value: warm.json.tokenValue });
        } else unexpected.push(`warm-up POST: ${describeOutcome(warm)}`);
        if (warmToken && warmDelete?.status === 204) revoked.push(warmToken);
        else if (warmToken && warmDelete) unexpected.push(`warm-up DELETE: ${describeOutcome(warmDelete)}`);
        let alive = true;
        const killer = sleep(Math.random() * 50).then(async () => {
          alive = false;
          await server.kill();
        });
        const noteFailure = (o: Outcome, what: string) => {
          if (o.status !== undefined) unexpected.push(`${what}: ${describeOutcome(o)}`);
          else if (o.error !== 'ECONNREFUSED') cut += 1; // the request was on the wire when the process died
        };
        const creator = async () => {
          while (alive) {
            const o = await send(server.url, 'POST', '/api/user/tokens', { token: auth, body: { description: `cycle ${cycle}` }, agent });
            if (o.status === 200 && typeof o.json?.tokenValue === 'string') {
              created += 1;
              createdInLoop += 1;
              // Half of what is created becomes food for the delete workers of later cycles.
              (created % 2 === 0 ? kept : deletable).push({ id: o.json.id, value: o.json.tokenValue });
            } else noteFailure(o, 'POST');
          }
        };
        const deleter = async () => {
          while (alive) {
            const token = deletable.shift();
            if (!token) return;
            const o = await send(server.url, 'DELETE', `/api/user/tokens/${token.id}`, { token: auth, agent });
            if (o.status === 204) {
              revoked.push(token);
              revokedInLoop += 1;
            } else if (o.status === undefined && o.error === 'ECONNREFUSED') {
              deletable.push(token); // never reached the server
            } else {
              undecided.push(token);
              noteFailure(o, 'DELETE');
            }
          }
        };
        // Whichever kind starts first gets the warm connections; alternate so both get a fair share.
        const creators = Array.from({ length: CREATE_WORKERS }, () => creator);
        const deleters = Array.from({ length: DELETE_WORKERS }, () => deleter);
        const order = cycle % 2 === 0 ? [...deleters, ...creators] : [...creators, ...deleters];
        await Promise.all([killer, ...order.map((worker) => worker())]);
        agent.destroy();
      }
      t.diagnostic(
        `${cycle} kills in ${Date.now() - started} ms; created ${created} (${createdInLoop} in kill windows), revoked ${revoked.length} (${revokedInLoop} in kill windows), delete undecided ${undecided.length}, requests cut by the kill ${cut}`,
      );
      assert.deepEqual(unexpected, [], 'every answer during the loop was 200 (POST) or 204 (DELETE)');
      // The loop must have exercised something, or the assertions below prove nothing.
      assert.ok(createdInLoop > 0, 'some creations were acknowledged inside a kill window');
      assert.ok(revokedInLoop > 0, 'some deletions were acknowledged inside a kill window');
      assert.ok(cut > 0, 'some kills landed while requests were in flight');
    });

    describe('after the last kill', () => {
      let server: Awaited<ReturnType<ServerPool['start']>>;
      before(async () => {
        server = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      });

      it('F01: every token whose value reached the client survives kill -9', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
        try {
          // Tokens queued for deletion that no DELETE was sent for are acknowledged creations too.
          const acknowledged = [...kept, ...deletable];
          const results = await mapLimit(acknowledged, 8, (tok) => send(server.url, 'GET', '/api/user', { token: tok.value, agent }));
          const failed = results.map((o, i) => [acknowledged[i]!.id, o] as const).filter(([, o]) => o.status !== 200);
          assert.deepEqual(failed.map(([id, o]) => `${id}: ${describeOutcome(o)}`), [], 'acknowledged tokens that do not authenticate');
          // A DELETE that died with the process may or may not have committed; the token exists either way.
          const maybe = await mapLimit(undecided, 8, (tok) => send(server.url, 'GET', '/api/user', { token: tok.value, agent }));
          for (const o of maybe) assert.ok(o.status === 200 || reasonOf(o) === 'token_revoked', `a token whose delete was cut off: ${describeOutcome(o)}`);
        } finally {
          agent.destroy();
        }
      });

      it('F02: every delete whose 204 reached the client stays revoked after kill -9 (401 token_revoked)', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
        try {
          const results = await mapLimit(revoked, 8, (tok) => send(server.url, 'GET', '/api/user', { token: tok.value, agent }));
          const wrong = results.map((o, i) => [revoked[i]!.id, o] as const).filter(([, o]) => !(o.status === 401 && reasonOf(o) === 'token_revoked'));
          assert.deepEqual(wrong.map(([id, o]) => `${id}: ${describeOutcome(o)}`), [], 'acknowledged revocations that did not hold');
        } finally {
          agent.destroy();
        }
      });

      it('F01/F02: the database is intact and every token row has its audit row', async () => {
        assert.equal(await server.stop(), 0, server.output().slice(-2000));
        const inspector = await inspect(db);
        try {
          const integrity = await inspector.integrityCheck();
          if (kind === 'sqlite') assert.equal(integrity, 'ok');
          assert.deepEqual(await inspector.rows(TOKENS_WITHOUT_CREATED_AUDIT), [], 'token rows without their access_token_created audit event');
          assert.deepEqual(await inspector.rows(REVOKED_WITHOUT_DELETED_AUDIT), [], 'revoked token rows without their access_token_deleted audit event');
          const rows = await inspector.rows<{ id: string; revoked_at: number | string }>('select id, revoked_at from tokens');
          const byId = new Map(rows.map((r) => [r.id, Number(r.revoked_at)]));
          for (const tok of [...kept, ...deletable]) assert.equal(byId.get(tok.id), 0, `token ${tok.id} is stored and not revoked`);
          for (const tok of revoked) assert.ok((byId.get(tok.id) ?? 0) > 0, `revoked token ${tok.id} is stored as revoked`);
          // Rows the client never heard of (creations cut by the kill) are allowed; missing ones are not.
          assert.ok(rows.length >= 1 + SEEDED_FOR_DELETE + created, `${rows.length} token rows for ${created} acknowledged creations`);
        } finally {
          await inspector.close();
        }
      });
    });
  });
}
