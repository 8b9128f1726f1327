// Catalog W08: sensitive actions through a console session need a recent proof of the password.
// Driven over HTTP against a real listening server (the harness app on 127.0.0.1, with its test
// clock), on SQLite and PostgreSQL, as a browser's console would send the requests.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { OAuth2Server } from 'oauth2-mock-server';
import { NO_REQUEST } from '../src/domain/deps.js';
import type { Resolver } from '../src/domain/oidc/fetch-issuer-document.js';
import { SYSTEM } from '../src/domain/principal.js';
import type { User } from '../src/domain/records.js';
import { login } from '../src/domain/sessions/login.js';
import { REAUTHENTICATION_WINDOW_MS } from '../src/domain/sessions/recent-password.js';
import { createUser } from '../src/domain/users/create-user.js';
import * as sessionReauth from '../src/storage/migrations/2026-12-04-session-reauth.js';
import { databaseKinds } from './support/databases.js';
import { makeOrg, makeToken, startHarness, uniqueName, type Harness } from './support/harness.js';
import { discoveryHandler, FIXTURE_CERT, FIXTURE_THUMBPRINT, startLocalServer, startMockIssuer, type LocalServer } from './support/issuers.js';

const MINUTE = 60_000;
const resolver: Resolver = async (host) => {
  if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw new Error('unknown host');
};
const ALLOW_MAIN = [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: 'repo:acme/app:ref:refs/heads/main', aud: 'urn:pulumi:org:acme' } }];

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

interface Send {
  /** A console session: its cookie goes along, and its CSRF token on state changes. */
  session?: Session;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The loopback address to send from (127.0.0.0/8 is all loopback on Linux). */
  from?: string;
}

interface Session {
  cookie: string;
  csrf: string;
}

for (const kind of databaseKinds()) {
  describe(`W08 re-authentication for sensitive actions (${kind})`, () => {
    let h: Harness;
    let port: number;
    let mock: OAuth2Server;
    let tls: LocalServer;
    let admin: { user: User; password: string; token: string };
    let orgName: string;
    let orgId: string;

    /** One real HTTP request to the listening server. */
    function send(method: string, path: string, o: Send = {}): Promise<Reply> {
      const headers: Record<string, string> = { accept: 'application/json', ...(o.headers ?? {}) };
      if (o.session) {
        headers.cookie = o.session.cookie;
        if (method !== 'GET') headers['x-csrf-token'] = o.session.csrf;
      }
      if (o.token !== undefined) headers.authorization = `token ${o.token}`;
      const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
      if (payload !== undefined) headers['content-type'] = 'application/json';
      return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path, headers, localAddress: o.from ?? '127.0.0.1', agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            const value = (json as { tokenValue?: string } | undefined)?.tokenValue;
            if (value) h.secrets.add(value);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        });
        req.on('error', reject);
        req.end(payload);
      });
    }

    function expectRefusal(res: Reply, status: number, reason: string): void {
      assert.equal(res.status, status, `expected ${status} ${reason}, got ${res.status}: ${res.text}`);
      assert.equal(res.json.code, status);
      assert.equal(res.json.reason, reason);
      assert.ok(typeof res.json.requestId === 'string' && res.json.requestId.length > 0);
    }

    async function account(opts: { siteAdmin?: boolean } = {}): Promise<{ user: User; password: string }> {
      const password = `pw-${uniqueName('secret')}-long`;
      h.secrets.add(password);
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('person'), email: 'person@example.com', password, siteAdmin: opts.siteAdmin ?? false });
      return { user, password };
    }

    async function signIn(login: string, password: string, from?: string): Promise<Session> {
      const res = await send('POST', '/api/session', { body: { login, password }, ...(from ? { from } : {}) });
      assert.equal(res.status, 200, res.text);
      const pair = String(res.headers['set-cookie']).split(';')[0]!;
      h.secrets.add(pair.split('=')[1]!);
      h.secrets.add(res.json.csrfToken);
      return { cookie: pair, csrf: res.json.csrfToken };
    }

    /** Registers an issuer through the admin's personal token (never asked to re-authenticate). */
    async function issuerFixture(): Promise<{ id: string; name: string; policyId: string }> {
      const name = uniqueName('issuer');
      const res = await send('POST', `/api/orgs/${orgName}/oidc/issuers`, { token: admin.token, body: { name, url: `${tls.origin}/${name}` } });
      assert.equal(res.status, 200, res.text);
      const policy = await send('GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${res.json.id}`, { token: admin.token });
      return { id: res.json.id, name, policyId: policy.json.id };
    }

    /** Every sensitive action of W08, as the console sends it, each against its own fresh target. */
    function sensitiveActions(issuer: { id: string; name: string; policyId: string }) {
      const base = `/api/orgs/${orgName}`;
      return [
        { what: 'create an organization token', method: 'POST', path: `${base}/tokens`, body: { name: uniqueName('ci') } },
        { what: 'register an issuer', method: 'POST', path: `${base}/oidc/issuers`, body: { name: `${issuer.name}-new`, url: `${tls.origin}/${issuer.name}-new` } },
        { what: 'change an issuer', method: 'PATCH', path: `${base}/oidc/issuers/${issuer.id}`, body: { name: `${issuer.name}-renamed`, thumbprints: ['0'.repeat(64)] } },
        { what: 'regenerate thumbprints', method: 'POST', path: `${base}/oidc/issuers/${issuer.id}/regenerate-thumbprints` },
        { what: 'change an auth policy', method: 'PATCH', path: `${base}/auth/policies/${issuer.policyId}`, body: { policies: ALLOW_MAIN } },
        { what: 'delete an issuer', method: 'DELETE', path: `${base}/oidc/issuers/${issuer.id}` },
      ];
    }

    /** What the sensitive actions could change, to show a refusal changed nothing. */
    async function snapshot() {
      const tokens = await send('GET', `/api/orgs/${orgName}/tokens?filter=all`, { token: admin.token });
      const issuers = await send('GET', `/api/orgs/${orgName}/oidc/issuers`, { token: admin.token });
      const policies = [];
      for (const i of issuers.json.oidcIssuers) policies.push((await send('GET', `/api/orgs/${orgName}/auth/policies/oidcissuers/${i.id}`, { token: admin.token })).json);
      return { tokens: tokens.json.tokens, issuers: issuers.json.oidcIssuers, policies, audit: (await h.deps.store.listAudit(orgId, 10_000)).length };
    }

    before(async () => {
      // The idle timeout is lifted so a session outlives the 11 minutes the clock moves at once.
      h = await startHarness(kind, { sessionIdleTimeoutSeconds: 24 * 3600, allowLoopbackIssuers: true, issuerFetch: { resolve: resolver, ca: FIXTURE_CERT } });
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      port = (h.app.server.address() as AddressInfo).port;
      mock = await startMockIssuer();
      tls = await startLocalServer({ tls: true });
      tls.handler = discoveryHandler(() => tls.origin, () => ({ keys: mock.issuer.keys.toJSON() }));
      const a = await account({ siteAdmin: true });
      const org = await makeOrg(h, a.user);
      orgName = org.name;
      orgId = org.id;
      const { value } = await makeToken(h, { kind: 'user', user: a.user, token: null }, { type: 'personal' });
      admin = { ...a, token: value };
    });

    after(async () => {
      await mock?.stop();
      await tls?.close();
      await h?.close();
    });

    it('W08: through a console session whose password was proven over 10 minutes ago, every sensitive action answers 403 reauthentication_required and changes nothing', async () => {
      const session = await signIn(admin.user.login, admin.password);
      const issuer = await issuerFixture();
      h.clock.advance(11 * MINUTE);
      const before = await snapshot();
      for (const a of sensitiveActions(issuer)) {
        const res = await send(a.method, a.path, { session, ...(a.body ? { body: a.body } : {}) });
        expectRefusal(res, 403, 'reauthentication_required');
        assert.match(res.json.message, /password/, a.what);
        assert.match(res.json.message, /\/api\/session\/reauthenticate/, a.what);
      }
      assert.deepEqual(await snapshot(), before, 'nothing changed, nothing was audited');
      // Everything else still works through the same session: only the sensitive actions ask.
      assert.equal((await send('GET', `/api/orgs/${orgName}/oidc/issuers`, { session })).status, 200);
      assert.equal((await send('POST', '/api/user/tokens', { session, body: { description: 'laptop' } })).status, 200);
      // The window is exactly 10 minutes, from the last proof.
      const edge = await signIn(admin.user.login, admin.password);
      h.clock.advance(REAUTHENTICATION_WINDOW_MS);
      expectRefusal(await send('POST', `/api/orgs/${orgName}/tokens`, { session: edge, body: { name: uniqueName('edge') } }), 403, 'reauthentication_required');
    });

    it('W08: a session younger than 10 minutes is not asked, and token-authenticated calls never are', async () => {
      const fresh = await signIn(admin.user.login, admin.password);
      h.clock.advance(REAUTHENTICATION_WINDOW_MS - 1000);
      for (const a of sensitiveActions(await issuerFixture())) {
        const res = await send(a.method, a.path, { session: fresh, ...(a.body ? { body: a.body } : {}) });
        assert.ok(res.status === 200 || res.status === 204, `${a.what}: ${res.status} ${res.text}`);
      }
      // A token needs no password: automation keeps working, even when a stale session's cookie
      // rides along (a request with an Authorization header ignores cookies).
      const stale = await signIn(admin.user.login, admin.password);
      h.clock.advance(11 * MINUTE);
      for (const a of sensitiveActions(await issuerFixture())) {
        const res = await send(a.method, a.path, { token: admin.token, headers: { cookie: stale.cookie }, ...(a.body ? { body: a.body } : {}) });
        assert.ok(res.status === 200 || res.status === 204, `${a.what} with a token: ${res.status} ${res.text}`);
      }
    });

    it('W08: the right password re-authenticates the session (audited), the retried actions succeed, and the proof lasts 10 minutes', async () => {
      const session = await signIn(admin.user.login, admin.password);
      const issuer = await issuerFixture();
      h.clock.advance(11 * MINUTE);
      const create = { method: 'POST', path: `/api/orgs/${orgName}/tokens`, body: { name: uniqueName('deploy') } };
      expectRefusal(await send(create.method, create.path, { session, body: create.body }), 403, 'reauthentication_required');

      const reauth = await send('POST', '/api/session/reauthenticate', { session, body: { password: admin.password } });
      assert.equal(reauth.status, 204, reauth.text);
      assert.equal(reauth.headers['set-cookie'], undefined, 'the session keeps its id');
      // The retried action succeeds, then every other sensitive action too.
      const retried = await send(create.method, create.path, { session, body: create.body });
      assert.equal(retried.status, 200, retried.text);
      assert.ok(typeof retried.json.tokenValue === 'string' && retried.json.tokenValue.length > 20);
      for (const a of sensitiveActions(issuer).slice(1)) {
        const res = await send(a.method, a.path, { session, ...(a.body ? { body: a.body } : {}) });
        assert.ok(res.status === 200 || res.status === 204, `${a.what}: ${res.status} ${res.text}`);
        if (a.what === 'regenerate thumbprints') assert.deepEqual(res.json.thumbprints, [FIXTURE_THUMBPRINT]);
      }

      const events = (await h.deps.store.listAudit(null, 10_000)).filter((e) => e.action === 'session_reauthenticated' && e.actorUserId === admin.user.id);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.targetName, admin.user.login);
      assert.equal(events[0]!.sourceIp, '127.0.0.1');
      assert.match(String((events[0]!.details as { session: string }).session), /^[0-9a-f]{12}$/);
      // The token the retried request created is audited as created through the session.
      const created = (await h.deps.store.listAudit(orgId, 50)).find((e) => e.targetId === retried.json.id);
      assert.equal(created?.actorUserId, admin.user.id);
      assert.equal(created?.tokenId, null);

      // The new proof lasts 10 minutes like a sign-in's.
      h.clock.advance(REAUTHENTICATION_WINDOW_MS - 1000);
      assert.equal((await send('POST', `/api/orgs/${orgName}/tokens`, { session, body: { name: uniqueName('later') } })).status, 200);
      h.clock.advance(1000);
      expectRefusal(await send('POST', `/api/orgs/${orgName}/tokens`, { session, body: { name: uniqueName('too-late') } }), 403, 'reauthentication_required');
    });

    it('W08: wrong passwords are refused, audited and counted by the sign-in throttle; re-authentication is CSRF-checked and session-only', async () => {
      const person = await account();
      const from = '127.0.0.2';
      const session = await signIn(person.user.login, person.password, from);
      h.clock.advance(11 * MINUTE);
      const url = '/api/session/reauthenticate';

      // Forged and token requests never reach the password check.
      expectRefusal(await send('POST', url, { headers: { cookie: session.cookie }, body: { password: person.password }, from }), 403, 'csrf_failed');
      expectRefusal(await send('POST', url, { session, headers: { origin: 'https://evil.example' }, body: { password: person.password }, from }), 403, 'csrf_failed');
      expectRefusal(await send('POST', url, { token: admin.token, body: { password: admin.password }, from }), 403, 'forbidden');
      expectRefusal(await send('POST', url, { token: 'pul-not-a-real-token', body: { password: admin.password }, from }), 401, 'token_invalid');
      expectRefusal(await send('POST', url, { body: { password: admin.password }, from }), 401, 'session_invalid');
      expectRefusal(await send('POST', url, { session, body: { password: person.password, extra: 1 }, from }), 400, 'invalid_request');

      // A stolen session used from another address: five wrong passwords (the per-account limit
      // for requesters the account does not know) are each refused and audited…
      const thief = '127.0.0.6';
      for (let i = 0; i < 5; i++) expectRefusal(await send('POST', url, { session, body: { password: `wrong-${i}` }, from: thief }), 403, 'password_incorrect');
      const failed = (await h.deps.store.listAudit(null, 10_000)).filter((e) => e.action === 'reauthentication_failed' && e.actorUserId === person.user.id);
      assert.equal(failed.length, 5);
      // …and count, exactly as five failed sign-ins would: from there even the right password now
      // waits, and so does a sign-in to the account from any address that never signed in to it.
      const locked = await send('POST', url, { session, body: { password: person.password }, from: thief });
      expectRefusal(locked, 429, 'too_many_attempts');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      expectRefusal(await send('POST', '/api/session', { body: { login: person.user.login, password: person.password }, from: '127.0.0.3' }), 429, 'too_many_attempts');
      assert.equal((await h.deps.store.listAudit(null, 10_000)).filter((e) => e.action === 'session_reauthenticated' && e.actorUserId === person.user.id).length, 0);
      // The owner's own address, where the session signed in, is known to the account, so nobody
      // elsewhere can lock the owner out (X08): there the right password still works.
      assert.equal((await send('POST', url, { session, body: { password: person.password }, from })).status, 204);

      // A failed password change counts in the same throttle (one shared check).
      const other = await account();
      const otherSession = await signIn(other.user.login, other.password, '127.0.0.4');
      const elsewhere = '127.0.0.7';
      for (let i = 0; i < 3; i++) {
        expectRefusal(await send('PUT', '/api/user/password', { session: otherSession, body: { currentPassword: `wrong-${i}`, newPassword: 'a brand new password' }, from: elsewhere }), 403, 'password_incorrect');
      }
      for (let i = 0; i < 2; i++) expectRefusal(await send('POST', url, { session: otherSession, body: { password: `wrong-${i}` }, from: elsewhere }), 403, 'password_incorrect');
      expectRefusal(await send('POST', url, { session: otherSession, body: { password: other.password }, from: elsewhere }), 429, 'too_many_attempts');

      // No password reached the audit trail.
      const text = JSON.stringify(await h.deps.store.listAudit(null, 10_000));
      for (const p of [person.password, other.password, 'wrong-0']) assert.ok(!text.includes(p));
    });
  });
}

for (const kind of databaseKinds()) {
  describe(`W08 migration (${kind})`, () => {
    it('W08: sessions that exist when the migration runs count as proven at their sign-in', async () => {
      const h = await startHarness(kind);
      try {
        const password = 'a password of some length';
        const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('old'), email: 'old@example.com', password });
        const signed = await login(h.deps, NO_REQUEST, { login: user.login, password });
        h.secrets.add(signed.sessionId);
        // Back to the schema before the migration, as an existing deployment has it, and up again.
        const db = h.services.database.db as unknown as Kysely<unknown>;
        await sessionReauth.down(db);
        await sql`update sessions set created_at = created_at - 3600000`.execute(db);
        await sessionReauth.up(db);
        const rows = await sql<{ created_at: string | number; password_verified_at: string | number }>`select created_at, password_verified_at from sessions`.execute(db);
        assert.equal(rows.rows.length, 1);
        assert.equal(Number(rows.rows[0]!.password_verified_at), Number(rows.rows[0]!.created_at));
        assert.equal(Number(rows.rows[0]!.created_at), h.clock.now() - 3600_000);
      } finally {
        await h.close();
      }
    });
  });
}
