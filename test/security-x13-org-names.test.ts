import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import * as orgNameCase from '../src/storage/migrations/2026-12-04-org-name-case.js';
import { migrate, openDatabase } from '../src/storage/open-database.js';
import { createTestDatabase, databaseKinds } from './support/databases.js';
import { makePerson, uniqueName } from './support/harness.js';
import { startLive, type LiveHarness } from './support/live.js';

// Catalog X13: organization names `Acme`, `acme.`, or other near-duplicates of `acme`.

for (const kind of databaseKinds()) {
  describe(`X13: near-duplicate organization names (${kind})`, () => {
    let h: LiveHarness;
    before(async () => {
      h = await startLive(kind);
    });
    after(async () => h.close());

    const orgCount = async () => (await h.deps.store.listAudit(null, 100_000)).filter((e) => e.action === 'organization_created').length;

    it('X13: names are unique ignoring case and must start and end with a letter or digit; 40 racing spellings create one', async () => {
      const alice = await makePerson(h);
      const mallory = await makePerson(h);
      const base = uniqueName('acme').toLowerCase();
      const created = await h.http('POST', '/api/orgs', { token: alice.token, body: { name: base } });
      assert.equal(created.status, 200, created.text);
      const before = await orgCount();

      const upper = base.toUpperCase();
      const capital = base[0]!.toUpperCase() + base.slice(1);
      for (const name of [upper, capital, base.replace(/a/g, 'A')]) {
        const r = await h.http('POST', '/api/orgs', { token: mallory.token, body: { name } });
        assert.equal(r.status, 409, `${name}: ${r.text}`);
        assert.equal(r.json.reason, 'org_name_taken');
        assert.ok(r.json.message.includes(base), 'the message names the existing spelling');
      }
      for (const name of [`${base}.`, `${base}-`, `${base}_`, `${base}..`, `.${base}`, `-${base}`, `_${base}`, `${capital}.`, '.', '-', 'a-', 'a.', '_a']) {
        const r = await h.http('POST', '/api/orgs', { token: mallory.token, body: { name } });
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        assert.equal(r.json.reason, 'name_invalid');
        assert.match(r.json.message, /start(ing)? and end(ing)? with a letter or digit/);
      }
      // Still fine: inner punctuation, one character, 40 characters.
      for (const name of [`${base}.io`, `${base}-eu_1`, 'x', `a${'b'.repeat(38)}c`]) {
        const r = await h.http('POST', '/api/orgs', { token: mallory.token, body: { name } });
        assert.equal(r.status, 200, `${name}: ${r.text}`);
      }
      assert.equal(await orgCount(), before + 4, 'only the four valid names were created');
      // Mallory is a member of nothing spelled like acme.
      const me = await h.http('GET', '/api/user', { token: mallory.token });
      assert.ok(!(me.json.organizations as Array<{ githubLogin: string }>).some((o) => o.githubLogin.toLowerCase() === base));

      // A race of 40 spellings of one new name, from 40 requests at once: exactly one wins.
      const fresh = uniqueName('race').toLowerCase();
      const spellings = Array.from({ length: 40 }, (_, i) => [...fresh].map((c, j) => ((i >> j % 6) & 1 ? c.toUpperCase() : c)).join(''));
      const results = await Promise.all(spellings.map((name, i) => h.http('POST', '/api/orgs', { token: i % 2 ? alice.token : mallory.token, body: { name } })));
      const won = results.filter((r) => r.status === 200);
      assert.equal(won.length, 1, results.map((r) => r.status).join(','));
      for (const r of results) if (r.status !== 200) assert.equal(r.json.reason, 'org_name_taken', r.text);
      assert.equal(await orgCount(), before + 5);
      // The winner is reachable under its own spelling (paths match exactly).
      const idx = results.findIndex((r) => r.status === 200);
      const owner = idx % 2 ? alice.token : mallory.token;
      assert.equal((await h.http('GET', `/api/orgs/${spellings[idx]}`, { token: owner })).status, 200);
    });

    it('X13: the migration names existing organizations that differ only in case instead of failing obscurely', async () => {
      const db = await createTestDatabase(kind);
      const opened = await openDatabase(db.url);
      try {
        await migrate(opened);
        // A database from before the rule: the index absent, two spellings of one name present.
        // The migration's own up/down are called, so later migrations do not matter.
        const db0 = opened.db as unknown as Kysely<unknown>;
        await orgNameCase.down(db0);
        await sql`insert into organizations (id, name, created_at) values ('a1', 'Acme', 1), ('a2', 'acme', 2), ('b1', 'other', 3)`.execute(opened.db);
        await assert.rejects(orgNameCase.up(db0), /unique ignoring case.*several spellings: acme; rename/);
        // Renamed by the operator, the migration completes and the rule holds in the database itself.
        await sql`update organizations set name = 'acme-old' where id = 'a1'`.execute(opened.db);
        await orgNameCase.up(db0);
        await assert.rejects(sql`insert into organizations (id, name, created_at) values ('c1', 'ACME', 4)`.execute(opened.db));
      } finally {
        await opened.close();
        await db.drop();
      }
    });
  });
}
