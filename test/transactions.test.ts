import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../src/domain/records.js';
import { openDatabase } from '../src/storage/open-database.js';
import { databaseKinds } from './support/databases.js';
import { makeOrg, makePerson, startHarness, type Harness } from './support/harness.js';

/**
 * Store transactions keep their one-transaction-per-call meaning however they are committed
 * (on SQLite, concurrent ones share a COMMIT: src/storage/group-commit.ts): a transaction that
 * throws leaves nothing, the others commit, and what was acknowledged is on disk.
 */

for (const kind of databaseKinds()) {
  describe(`store transactions under concurrency (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(() => h.close());

    const event = (action: string): AuditEvent => ({
      id: randomUUID(),
      occurredAt: h.clock.now(),
      orgId: null,
      action,
      actorUserId: null,
      actorLogin: null,
      tokenId: null,
      tokenName: null,
      targetType: null,
      targetId: null,
      targetName: null,
      sourceIp: null,
      userAgent: null,
      requestId: null,
      details: null,
    });

    it('of concurrent transactions, one that throws leaves nothing and the others commit durably', async () => {
      const prefix = `tx-${randomUUID().slice(0, 8)}-`;
      const fails = (i: number) => i % 7 === 3;
      const settled = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          h.deps.store.transaction(async (tx) => {
            await tx.insertAudit(event(`${prefix}${i}`));
            if (fails(i)) throw new Error(`unit ${i} failed`);
            await tx.insertAudit(event(`${prefix}${i}-second`));
            return i;
          }),
        ),
      );
      settled.forEach((s, i) => {
        if (fails(i)) assert.deepEqual(s.status === 'rejected' && (s.reason as Error).message, `unit ${i} failed`);
        else assert.deepEqual(s, { status: 'fulfilled', value: i });
      });
      // Read through a connection of its own: what was acknowledged is committed.
      const other = await openDatabase(h.db.url);
      try {
        const rows = await other.db.selectFrom('audit_events').select('action').where('action', 'like', `${prefix}%`).execute();
        const expected = Array.from({ length: 40 }, (_, i) => i)
          .filter((i) => !fails(i))
          .flatMap((i) => [`${prefix}${i}`, `${prefix}${i}-second`]);
        assert.deepEqual(rows.map((r) => r.action).sort(), expected.sort());
      } finally {
        await other.close();
      }
    });

    // SQLite runs transactions one at a time, also inside a shared COMMIT; PostgreSQL runs them side by side.
    if (kind === 'sqlite') {
      it('a transaction sees what one queued before it wrote, also in the same batch', async () => {
        const action = `seen-${randomUUID()}`;
        const first = h.deps.store.transaction((tx) => tx.insertAudit(event(action)));
        const second = h.deps.store.transaction(async (tx) => (await tx.listAudit(null, 1000)).some((e) => e.action === action));
        await first;
        assert.equal(await second, true);
      });
    }

    if (kind === 'sqlite') {
      it('checkpoints run on the worker thread and keep the WAL from growing', async () => {
        const wal = h.services.database.walFile!;
        const round = (r: number) =>
          Promise.all(Array.from({ length: 200 }, (_, i) => h.deps.store.transaction((tx) => tx.insertAudit({ ...event(`wal-${r}-${i}`), details: { pad: 'x'.repeat(2000) } }))));
        await round(0);
        const oneRound = fs.statSync(wal).size;
        for (let r = 1; r < 8; r++) {
          await new Promise((resolve) => setTimeout(resolve, 600));
          await round(r);
        }
        // Eight rounds without a checkpoint would leave a WAL about eight times one round's size
        // (the connection's own fallback checkpoint is at ~40 MB); checkpointed, it is reused.
        const size = fs.statSync(wal).size;
        assert.ok(size < oneRound * 3, `WAL ${size} bytes after 8 rounds of about ${oneRound}`);
      });
    }

    it('a unique violation refuses only its own transaction', async () => {
      const owner = await makePerson(h);
      const settled = await Promise.allSettled([makeOrg(h, owner.user, 'twin'), makeOrg(h, owner.user, 'twin'), makeOrg(h, owner.user, 'single')]);
      assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 2);
      const refused = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult;
      assert.equal((refused.reason as { code?: string }).code, 'org_name_taken');
      assert.ok(await h.deps.store.findOrgByName('twin'));
      assert.ok(await h.deps.store.findOrgByName('single'));
    });
  });
}
