import assert from 'node:assert/strict';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { Organization } from '../src/domain/records.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { ServerPool, seedOrg, seedPerson, withServices, type SeededPerson } from './support/fault-db.js';
import { describeOutcome, reasonOf, send, sleep, type Outcome } from './support/fault-http.js';
import type { ServerProcess } from './support/server-process.js';

// Catalog F13 (concurrent revoke and use, two server processes sharing the database) and API.md
// section 4: "Deleting revokes at once: the next request with that value is 401 on every node."
// Tessera keeps no positive-lookup cache, so the documented staleness bound is zero: a request
// that starts after the revoke was acknowledged must fail on every node.

/** Clients looping on the token while it is revoked. */
const CLIENTS_ON_B = 24;
const CLIENTS_ON_A = 8;
/** How long the clients run before the revoke; after its acknowledgement each client goes on
 * for at least AFTER_ACK_MS and until it has made AFTER_ACK_REQUESTS requests. */
const WARM_MS = 300;
const AFTER_ACK_MS = 300;
const AFTER_ACK_REQUESTS = 3;
/** Hard bounds on the hammer loop, whatever happens. */
const HAMMER_DEADLINE_MS = 15_000;
const MAX_REQUESTS_PER_CLIENT = 2_000;

for (const kind of databaseKinds()) {
  describe(`multi-node (${kind})`, () => {
    const pool = new ServerPool();
    let db: TestDatabase;
    let nodeA: ServerProcess;
    let nodeB: ServerProcess;
    let alice: SeededPerson; // organization admin
    let bob: SeededPerson; // plain member
    let org: Organization;

    before(async () => {
      db = await createTestDatabase(kind);
      ({ alice, bob, org } = await withServices(db.url, async (s) => {
        const a = await seedPerson(s, 1);
        const b = await seedPerson(s, 1);
        return { alice: a, bob: b, org: await seedOrg(s, a.user, [b.user]) };
      }));
      nodeA = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      nodeB = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
    });

    after(async () => {
      await pool.killAll();
      await db.drop();
    });

    const aliceToken = () => alice.tokens[0]!.value;

    async function createOn(node: ServerProcess, body: Record<string, unknown> = {}): Promise<{ id: string; tokenValue: string }> {
      const o = await send(node.url, 'POST', '/api/user/tokens', { token: aliceToken(), body });
      assert.equal(o.status, 200, describeOutcome(o));
      return o.json as { id: string; tokenValue: string };
    }

    it('F13: a token created on node A works on node B; deleted on A, the next request on B is 401 token_revoked', async () => {
      const t = await createOn(nodeA, { description: 'cross-node' });
      const onB = await send(nodeB.url, 'GET', '/api/user', { token: t.tokenValue });
      assert.equal(onB.status, 200, describeOutcome(onB));
      assert.equal(onB.json.githubLogin, alice.user.login);
      assert.equal(onB.json.token.id, t.id);

      const del = await send(nodeA.url, 'DELETE', `/api/user/tokens/${t.id}`, { token: aliceToken() });
      assert.equal(del.status, 204, describeOutcome(del));
      const next = await send(nodeB.url, 'GET', '/api/user', { token: t.tokenValue });
      assert.equal(next.status, 401, describeOutcome(next));
      assert.equal(reasonOf(next), 'token_revoked');
      assert.match(next.json.message, /revoked/);
      const onA = await send(nodeA.url, 'GET', '/api/user', { token: t.tokenValue });
      assert.equal(reasonOf(onA), 'token_revoked', describeOutcome(onA));
      // And node B lists it as revoked.
      const list = await send(nodeB.url, 'GET', '/api/user/tokens?filter=all', { token: aliceToken() });
      assert.equal(list.status, 200, describeOutcome(list));
      assert.equal((list.json.tokens as Array<{ id: string; status: string }>).find((x) => x.id === t.id)?.status, 'revoked');
    });

    it(`F13: with ${CLIENTS_ON_B + CLIENTS_ON_A} clients looping on the token, no request started after the revoke ack succeeds on either node`, async (t) => {
      const target = await createOn(nodeA, { description: 'hammered' });
      const agentB = new http.Agent({ keepAlive: true, maxSockets: CLIENTS_ON_B });
      const agentA = new http.Agent({ keepAlive: true, maxSockets: CLIENTS_ON_A });
      const outcomes: Array<Outcome & { node: 'A' | 'B' }> = [];
      const deadline = performance.now() + HAMMER_DEADLINE_MS;
      let ackAt = 0;
      let sentAt = 0;
      let revokeDone = false;
      const client = async (node: ServerProcess, name: 'A' | 'B', agent: http.Agent) => {
        let afterAck = 0;
        for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && performance.now() < deadline; i++) {
          if (revokeDone && (ackAt === 0 || (afterAck >= AFTER_ACK_REQUESTS && performance.now() > ackAt + AFTER_ACK_MS))) break;
          const o = await send(node.url, 'GET', '/api/user', { token: target.tokenValue, agent, timeoutMs: 10_000 });
          outcomes.push({ ...o, node: name });
          if (ackAt !== 0 && o.start > ackAt) afterAck += 1;
        }
      };
      const clients = [
        ...Array.from({ length: CLIENTS_ON_B }, () => client(nodeB, 'B', agentB)),
        ...Array.from({ length: CLIENTS_ON_A }, () => client(nodeA, 'A', agentA)),
      ];
      try {
        await sleep(WARM_MS);
        sentAt = performance.now();
        const del = await send(nodeA.url, 'DELETE', `/api/user/tokens/${target.id}`, { token: aliceToken() });
        assert.equal(del.status, 204, describeOutcome(del));
        ackAt = del.end;
      } finally {
        revokeDone = true;
        await Promise.all(clients);
        agentA.destroy();
        agentB.destroy();
      }

      const startedAfter = outcomes.filter((o) => o.start > ackAt);
      const startedBefore = outcomes.filter((o) => o.start < sentAt);
      const succeeded = outcomes.filter((o) => o.status === 200);
      const lastSuccessStart = Math.max(...succeeded.map((o) => o.start));
      const lastSuccessEnd = Math.max(...succeeded.map((o) => o.end));
      t.diagnostic(
        `${outcomes.length} requests (${outcomes.filter((o) => o.node === 'B').length} on B) in ${(Math.max(...outcomes.map((o) => o.end)) - Math.min(...outcomes.map((o) => o.start))).toFixed(0)} ms; revoke took ${(ackAt - sentAt).toFixed(1)} ms; ` +
          `${startedAfter.length} started after the ack; last success started ${(lastSuccessStart - ackAt).toFixed(1)} ms and ended ${(lastSuccessEnd - ackAt).toFixed(1)} ms relative to the ack`,
      );

      // Not vacuous: the token worked on both nodes before, and many requests came after.
      assert.ok(startedBefore.some((o) => o.node === 'B' && o.status === 200), 'the token worked on node B before the revoke');
      assert.ok(startedBefore.some((o) => o.node === 'A' && o.status === 200), 'the token worked on node A before the revoke');
      assert.ok(startedAfter.filter((o) => o.node === 'B').length >= CLIENTS_ON_B * AFTER_ACK_REQUESTS, `requests on B after the ack: ${startedAfter.length}`);
      // The property: zero staleness on every node.
      const leaked = startedAfter.filter((o) => !(o.status === 401 && reasonOf(o) === 'token_revoked'));
      assert.deepEqual(
        leaked.map((o) => `node ${o.node}, started ${(o.start - ackAt).toFixed(1)} ms after the ack: ${describeOutcome(o)}`),
        [],
        'requests started after the revoke ack must be 401 token_revoked',
      );
      // Before the revoke was sent, nothing but success; in between, either answer; never a 5xx,
      // a dropped connection or another 401 reason.
      for (const o of outcomes) {
        const ok = o.status === 200 || (o.status === 401 && reasonOf(o) === 'token_revoked');
        assert.ok(ok, `node ${o.node}: ${describeOutcome(o)}`);
        if (o.end < sentAt) assert.equal(o.status, 200, `node ${o.node} refused the token before the revoke: ${describeOutcome(o)}`);
      }
      assert.ok(lastSuccessStart < ackAt);
    });

    it('a member removed from an organization on node A gets 404 for it on node B at the next request', async () => {
      const bobToken = bob.tokens[0]!.value;
      const before = await send(nodeB.url, 'GET', `/api/orgs/${org.name}`, { token: bobToken });
      assert.equal(before.status, 200, describeOutcome(before));
      assert.equal(before.json.role, 'member');

      const removed = await send(nodeA.url, 'DELETE', `/api/orgs/${org.name}/members/${bob.user.login}`, { token: aliceToken() });
      assert.equal(removed.status, 204, describeOutcome(removed));

      const next = await send(nodeB.url, 'GET', `/api/orgs/${org.name}`, { token: bobToken });
      assert.equal(next.status, 404, describeOutcome(next));
      assert.equal(reasonOf(next), 'org_not_found');
      // The token itself still works; only the membership is gone, on both nodes.
      for (const node of [nodeA, nodeB]) {
        const me = await send(node.url, 'GET', '/api/user', { token: bobToken });
        assert.equal(me.status, 200, describeOutcome(me));
        assert.ok(!(me.json.organizations as Array<{ name: string }>).some((o) => o.name === org.name));
      }
      const members = await send(nodeB.url, 'GET', `/api/orgs/${org.name}/members`, { token: aliceToken() });
      assert.equal(members.status, 200, describeOutcome(members));
      assert.ok(!(members.json.members as Array<{ user: { githubLogin: string } }>).some((m) => m.user.githubLogin === bob.user.login));
    });

    it('an expired token is refused on both nodes with token_expired', async () => {
      const expires = Math.floor(Date.now() / 1000) + 3;
      const tok = await createOn(nodeA, { description: 'short-lived', expires });
      for (const node of [nodeA, nodeB]) {
        const o = await send(node.url, 'GET', '/api/user', { token: tok.tokenValue });
        assert.equal(o.status, 200, describeOutcome(o));
        assert.equal(o.json.token.expires, expires);
      }
      // Expiry is checked at the second on the server's clock: now >= expires.
      await sleep(Math.max(0, expires * 1000 - Date.now()) + 150);
      for (const node of [nodeB, nodeA]) {
        const o = await send(node.url, 'GET', '/api/user', { token: tok.tokenValue });
        assert.equal(o.status, 401, describeOutcome(o));
        assert.equal(reasonOf(o), 'token_expired');
        assert.match(o.json.message, /expired/);
      }
    });
  });
}
