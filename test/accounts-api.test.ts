import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM, type Principal } from '../src/domain/principal.js';
import { hashSessionId } from '../src/domain/sessions/session-id.js';
import { createUser } from '../src/domain/users/create-user.js';
import { databaseKinds } from './support/databases.js';
import { expectError, makeOrg, makeToken, startHarness, uniqueName, type Harness } from './support/harness.js';

const HOST = 'tessera.test';
const ORIGIN = `http://${HOST}`;

interface Send {
  cookie?: string;
  csrf?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request as the console on this server's own origin sends it (or an API client, with `token`). */
async function send(h: Harness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, o: Send = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { host: HOST, origin: ORIGIN, 'sec-fetch-site': 'same-origin', ...(o.headers ?? {}) };
  if (o.cookie !== undefined) headers.cookie = o.cookie;
  if (o.csrf !== undefined) headers['x-csrf-token'] = o.csrf;
  if (o.token !== undefined) headers.authorization = `token ${o.token}`;
  const res = await h.app.inject({ method, url, headers, ...(o.body === undefined ? {} : { payload: o.body as object }) });
  if (res.body.includes('tokenValue')) h.secrets.add((res.json() as { tokenValue: string }).tokenValue);
  return res;
}

/** The console's view of a signed-in browser: its cookie and CSRF token. */
interface Browser {
  cookie: string;
  csrf: string;
  id: string;
}

/** The session's Set-Cookie value; the known-browser cookie (X08) a sign-in also sets is set aside. */
function sessionSetCookie(res: LightMyRequestResponse): string | undefined {
  const all = [res.headers['set-cookie'] ?? []].flat().filter((c) => !/^(__Host-)?tessera_known=/.test(c));
  return all.length === 1 ? all[0] : undefined;
}

function browserFrom(h: Harness, res: LightMyRequestResponse): Browser {
  assert.equal(res.statusCode, 200, res.body);
  const raw = sessionSetCookie(res);
  assert.ok(typeof raw === 'string');
  const pair = raw.split(';')[0]!;
  const id = pair.slice(pair.indexOf('=') + 1);
  const csrf = (res.json() as { csrfToken: string }).csrfToken;
  h.secrets.add(id);
  h.secrets.add(csrf);
  return { cookie: pair, csrf, id };
}

async function signIn(h: Harness, login: string, password: string): Promise<Browser> {
  return browserFrom(h, await send(h, 'POST', '/api/session', { body: { login, password } }));
}

/** Sends as a signed-in browser: cookie plus CSRF token. */
function as(b: Browser, o: Send = {}): Send {
  return { cookie: b.cookie, csrf: b.csrf, ...o };
}

function newPassword(h: Harness): string {
  const pw = `pw-${randomBytes(12).toString('base64url')}`;
  h.secrets.add(pw);
  return pw;
}

async function alive(h: Harness, b: Browser): Promise<boolean> {
  const res = await send(h, 'GET', '/api/session', { cookie: b.cookie });
  if (res.statusCode === 401) return false;
  assert.equal(res.statusCode, 200, res.body);
  return true;
}

async function actions(h: Harness, targetId: string): Promise<string[]> {
  return (await h.deps.store.listAudit(null, 10_000)).filter((e) => e.targetId === targetId).map((e) => e.action);
}

for (const kind of databaseKinds()) {
  describe(`first-run setup and accounts (${kind})`, () => {
    let h: Harness;
    let admin: { login: string; password: string; browser: Browser };
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      const audit = JSON.stringify(await h.deps.store.listAudit(null, 10_000));
      for (const s of h.secrets) assert.ok(!audit.includes(s), 'a secret reached the audit log');
      await h.close();
    });

    it('setup: needed on a fresh database; of two racing setups exactly one wins; then it is done for good', async () => {
      const needed = await send(h, 'GET', '/api/setup');
      assert.equal(needed.statusCode, 200);
      assert.deepEqual(needed.json(), { needed: true });
      // Setup reports its need without credentials, and the session is not there yet.
      expectError(await send(h, 'GET', '/api/session'), 401, 'session_invalid');

      const passwords = [newPassword(h), newPassword(h)];
      const logins = [uniqueName('first'), uniqueName('second')];
      const results = await Promise.all(
        [0, 1].map((i) => send(h, 'POST', '/api/setup', { body: { login: logins[i], email: `${logins[i]}@example.com`, name: `Person ${i}`, password: passwords[i] } })),
      );
      const statuses = results.map((r) => r.statusCode).sort();
      assert.deepEqual(statuses, [200, 409], results.map((r) => r.body).join('\n'));
      const winner = results.findIndex((r) => r.statusCode === 200);
      expectError(results[1 - winner]!, 409, 'setup_done');
      assert.equal(results[1 - winner]!.headers['set-cookie'], undefined);
      assert.equal(await h.deps.store.countUsers(), 1, 'exactly one user was created');

      const reply = results[winner]!;
      const browser = browserFrom(h, reply);
      const body = reply.json();
      assert.equal(body.user.githubLogin, logins[winner]);
      assert.equal(body.user.name, `Person ${winner}`);
      assert.equal(body.user.siteAdmin, true, 'the first user is a site administrator');
      assert.equal(body.expiresAt, h.clock.nowSec() + 12 * 3600);
      assert.match(sessionSetCookie(reply)!, /^tessera_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
      admin = { login: logins[winner]!, password: passwords[winner]!, browser };
      assert.ok(await alive(h, browser), 'setup signed the administrator in');

      assert.deepEqual((await send(h, 'GET', '/api/setup')).json(), { needed: false });
      expectError(await send(h, 'POST', '/api/setup', { body: { login: uniqueName('late'), email: 'late@example.com', password: newPassword(h) } }), 409, 'setup_done');
      // What decides the race is the database: the setup row's primary key admits one claim.
      await assert.rejects(h.deps.store.claimSetup(h.clock.now()), { code: 'setup_done' });
      const user = (await h.deps.store.findUserByLogin(admin.login))!;
      assert.deepEqual(await actions(h, user.id), ['session_created', 'user_created']);
    });

    it('setup validates its input', async () => {
      const fresh = await startHarness(kind);
      try {
        const cases: Array<[Record<string, unknown>, string]> = [
          [{ login: 'ok-login', email: 'a@example.com', password: 'short' }, 'password'],
          [{ login: 'ok-login', email: 'a@example.com' }, 'password'],
          [{ login: 'bad login', email: 'a@example.com', password: 'long enough' }, 'login'],
          [{ login: 'ok-login', email: 'not-an-address', password: 'long enough' }, 'email'],
          [{ login: 'ok-login', email: 'a@example.com', password: 'long enough', siteAdmin: false }, 'siteAdmin'],
        ];
        for (const [body, field] of cases) {
          const res = expectError(await send(fresh, 'POST', '/api/setup', { body }), 400, 'invalid_request');
          assert.match(res.message, new RegExp(field));
        }
        assert.deepEqual((await send(fresh, 'GET', '/api/setup')).json(), { needed: true }, 'a refused setup leaves setup open');
      } finally {
        await fresh.close();
      }
    });

    it('setup is done when users were created from the command line', async () => {
      const fresh = await startHarness(kind);
      try {
        await createUser(fresh.deps, NO_REQUEST, SYSTEM, { login: uniqueName('operator'), email: 'op@example.com' });
        assert.deepEqual((await send(fresh, 'GET', '/api/setup')).json(), { needed: false });
        expectError(await send(fresh, 'POST', '/api/setup', { body: { login: uniqueName('x'), email: 'x@example.com', password: 'long enough' } }), 409, 'setup_done');
        assert.equal(await fresh.deps.store.countUsers(), 1);
      } finally {
        await fresh.close();
      }
    });

    it('end to end: sign out, sign in, create a personal token with cookie and CSRF token, use it', async () => {
      const out = await send(h, 'DELETE', '/api/session', as(admin.browser));
      assert.equal(out.statusCode, 204, out.body);
      assert.equal(await alive(h, admin.browser), false);

      const browser = await signIn(h, admin.login, admin.password);
      admin.browser = browser;
      const me = await send(h, 'GET', '/api/user', { cookie: browser.cookie });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().githubLogin, admin.login);

      const expires = h.clock.nowSec() + 30 * 86400;
      const created = await send(h, 'POST', '/api/user/tokens', as(browser, { body: { description: 'from the console', expires }, headers: { 'x-tessera-client': 'console' } }));
      assert.equal(created.statusCode, 200, created.body);
      assert.equal(created.headers['cache-control'], 'no-store');
      const { id, tokenValue } = created.json() as { id: string; tokenValue: string };

      // The token works as an API credential, from anywhere, without cookie or CSRF token.
      const asToken = await h.app.inject({ method: 'GET', url: '/api/user', headers: { authorization: `token ${tokenValue}` } });
      assert.equal(asToken.statusCode, 200, asToken.body);
      assert.equal(asToken.json().githubLogin, admin.login);
      assert.equal(asToken.json().token.id, id);

      const list = await send(h, 'GET', '/api/user/tokens', { cookie: browser.cookie });
      const listed = (list.json().tokens as Array<{ id: string; expires: number; source: string; createdBy: string }>).find((t) => t.id === id)!;
      assert.deepEqual({ expires: listed.expires, source: listed.source, createdBy: listed.createdBy }, { expires, source: 'console', createdBy: admin.login });

      assert.equal((await send(h, 'DELETE', `/api/user/tokens/${id}`, as(browser))).statusCode, 204);
      expectError(await h.app.inject({ method: 'GET', url: '/api/user', headers: { authorization: `token ${tokenValue}` } }), 401, 'token_revoked');
      const adminUser = (await h.deps.store.findUserByLogin(admin.login))!;
      const trail = await actions(h, adminUser.id);
      assert.deepEqual(trail.slice(0, 3), ['session_created', 'session_deleted', 'session_created']);
    });

    it('site administrators list and create users; others get 403', async () => {
      const pw = newPassword(h);
      const login = uniqueName('member');
      const created = await send(h, 'POST', '/api/users', as(admin.browser, { body: { login, email: `${login}@example.com`, name: 'A Member', password: pw } }));
      assert.equal(created.statusCode, 200, created.body);
      const account = created.json();
      assert.deepEqual({ ...account, id: typeof account.id }, {
        id: 'string',
        login,
        email: `${login}@example.com`,
        name: 'A Member',
        siteAdmin: false,
        disabled: false,
        created: new Date(h.clock.now()).toISOString(),
      });
      assert.ok(!created.body.includes(pw));
      expectError(await send(h, 'POST', '/api/users', as(admin.browser, { body: { login, email: 'x@example.com' } })), 409, 'login_taken');
      expectError(await send(h, 'POST', '/api/users', as(admin.browser, { body: { login: uniqueName('u'), email: 'x@example.com', password: 'short' } })), 400, 'invalid_request');
      expectError(await send(h, 'POST', '/api/users', as(admin.browser, { body: { login: uniqueName('u'), email: 'x@example.com', role: 'admin' } })), 400, 'invalid_request');
      // Without the CSRF token, a cookie cannot create users.
      expectError(await send(h, 'POST', '/api/users', { cookie: admin.browser.cookie, body: { login: uniqueName('u'), email: 'x@example.com' } }), 403, 'csrf_failed');

      const listed = await send(h, 'GET', '/api/users', { cookie: admin.browser.cookie });
      assert.equal(listed.statusCode, 200, listed.body);
      const users = listed.json().users as Array<{ login: string; siteAdmin: boolean }>;
      assert.deepEqual(
        users.map((u) => u.login),
        [...users.map((u) => u.login)].sort(),
      );
      assert.ok(users.some((u) => u.login === login && !u.siteAdmin));
      assert.ok(users.some((u) => u.login === admin.login && u.siteAdmin));
      assert.ok(!listed.body.includes('password'), 'no password hashes in the listing');

      // The new user signs in, and may not manage users.
      const member = await signIn(h, login, pw);
      expectError(await send(h, 'GET', '/api/users', { cookie: member.cookie }), 403, 'forbidden');
      expectError(await send(h, 'POST', '/api/users', as(member, { body: { login: uniqueName('u'), email: 'x@example.com' } })), 403, 'forbidden');
      expectError(await send(h, 'PUT', `/api/users/${admin.login}/password`, as(member, { body: { password: newPassword(h) } })), 403, 'forbidden');
      expectError(await send(h, 'PUT', `/api/users/${admin.login}/disabled`, as(member, { body: { disabled: true } })), 403, 'forbidden');
      // Nor may organization tokens, even admin ones.
      const adminUser = (await h.deps.store.findUserByLogin(admin.login))!;
      const org = await makeOrg(h, adminUser);
      const orgToken = await makeToken(h, { kind: 'user', user: adminUser, token: null }, { type: 'organization', org: org.name }, { name: 'ops', admin: true });
      expectError(await send(h, 'GET', '/api/users', { token: orgToken.value }), 403, 'forbidden');
      expectError(await send(h, 'PUT', '/api/user/password', { token: orgToken.value, body: { currentPassword: 'x', newPassword: 'long enough' } }), 403, 'forbidden');
      // Anonymous callers get 401.
      expectError(await send(h, 'GET', '/api/users'), 401);
    });

    it('W06: changing one\'s password ends the other sessions and renews the current one', async () => {
      const pw = newPassword(h);
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('changer'), email: 'c@example.com', password: pw });
      const laptop = await signIn(h, user.login, pw);
      const phone = await signIn(h, user.login, pw);
      const principal: Principal = { kind: 'user', user, token: null };
      const pat = await makeToken(h, principal, { type: 'personal' });

      expectError(await send(h, 'PUT', '/api/user/password', as(laptop, { body: { currentPassword: `${pw}-nope`, newPassword: newPassword(h) } })), 403, 'password_incorrect');
      expectError(await send(h, 'PUT', '/api/user/password', as(laptop, { body: { currentPassword: pw, newPassword: 'short' } })), 400, 'invalid_request');
      expectError(await send(h, 'PUT', '/api/user/password', { cookie: laptop.cookie, body: { currentPassword: pw, newPassword: newPassword(h) } }), 403, 'csrf_failed');
      assert.ok(await alive(h, laptop));
      assert.ok(await alive(h, phone));

      const next = newPassword(h);
      const changed = await send(h, 'PUT', '/api/user/password', as(laptop, { body: { currentPassword: pw, newPassword: next } }));
      assert.equal(changed.statusCode, 204, changed.body);
      const renewedPair = (changed.headers['set-cookie'] as string).split(';')[0]!;
      const renewedId = renewedPair.slice(renewedPair.indexOf('=') + 1);
      h.secrets.add(renewedId);
      assert.notEqual(renewedId, laptop.id, 'the current session continues under a new id');
      assert.equal(await alive(h, laptop), false, 'the old id of the current session is dead');
      assert.equal(await alive(h, phone), false, 'other sessions ended');
      const session = await send(h, 'GET', '/api/session', { cookie: renewedPair });
      assert.equal(session.statusCode, 200);
      h.secrets.add(session.json().csrfToken);
      // The personal token is not a session: it keeps working.
      assert.equal((await send(h, 'GET', '/api/user', { token: pat.value })).statusCode, 200);

      expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password: pw } }), 401, 'login_failed');
      const again = await signIn(h, user.login, next);

      // With a personal token (no session to renew), every session ends.
      const third = newPassword(h);
      const viaToken = await send(h, 'PUT', '/api/user/password', { token: pat.value, body: { currentPassword: next, newPassword: third } });
      assert.equal(viaToken.statusCode, 204, viaToken.body);
      assert.equal(viaToken.headers['set-cookie'], undefined);
      assert.equal(await alive(h, again), false);
      assert.equal(await h.deps.store.findSession(hashSessionId(renewedId)), undefined);
      await signIn(h, user.login, third);

      const trail = await actions(h, user.id);
      assert.equal(trail.filter((a) => a === 'password_changed').length, 2);
      assert.equal(trail.filter((a) => a === 'password_change_failed').length, 1);
    });

    it('W06: an administrator resets a password, ending that user\'s sessions', async () => {
      const pw = newPassword(h);
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('forgetful'), email: 'f@example.com', password: pw });
      const session = await signIn(h, user.login, pw);
      const reset = newPassword(h);
      expectError(await send(h, 'PUT', `/api/users/${user.login}/password`, as(admin.browser, { body: { password: 'short' } })), 400, 'invalid_request');
      expectError(await send(h, 'PUT', `/api/users/${uniqueName('nobody')}/password`, as(admin.browser, { body: { password: reset } })), 404, 'user_not_found');
      const res = await send(h, 'PUT', `/api/users/${user.login}/password`, as(admin.browser, { body: { password: reset } }));
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(await alive(h, session), false);
      assert.ok(await alive(h, admin.browser), "the administrator's own session is untouched");
      expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password: pw } }), 401, 'login_failed');
      await signIn(h, user.login, reset);
      const event = (await h.deps.store.listAudit(null, 10_000)).find((e) => e.action === 'password_reset' && e.targetId === user.id)!;
      assert.equal(event.actorLogin, admin.login);
      assert.deepEqual(event.details, { sessionsEnded: 1 });
    });

    it('W06: disabling a user ends all their sessions and stops their tokens; enabling lets them back', async () => {
      const pw = newPassword(h);
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('leaver'), email: 'l@example.com', password: pw });
      const one = await signIn(h, user.login, pw);
      const two = await signIn(h, user.login, pw);
      const pat = await makeToken(h, { kind: 'user', user, token: null }, { type: 'personal' });

      const res = await send(h, 'PUT', `/api/users/${user.login}/disabled`, as(admin.browser, { body: { disabled: true } }));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().disabled, true);
      assert.equal(await alive(h, one), false);
      assert.equal(await alive(h, two), false);
      expectError(await send(h, 'GET', '/api/user', { token: pat.value }), 401, 'token_invalid');
      expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password: pw } }), 401, 'login_failed');
      // Disabling again is a no-op.
      assert.equal((await send(h, 'PUT', `/api/users/${user.login}/disabled`, as(admin.browser, { body: { disabled: true } }))).statusCode, 200);

      const back = await send(h, 'PUT', `/api/users/${user.login}/disabled`, as(admin.browser, { body: { disabled: false } }));
      assert.equal(back.statusCode, 200);
      assert.equal(back.json().disabled, false);
      await signIn(h, user.login, pw);
      assert.equal((await send(h, 'GET', '/api/user', { token: pat.value })).statusCode, 200);

      // An administrator cannot lock themselves out.
      expectError(await send(h, 'PUT', `/api/users/${admin.login}/disabled`, as(admin.browser, { body: { disabled: true } })), 400, 'invalid_request');
      const trail = await actions(h, user.id);
      assert.equal(trail.filter((a) => a === 'user_disabled').length, 1);
      assert.equal(trail.filter((a) => a === 'user_enabled').length, 1);
      const disabledEvent = (await h.deps.store.listAudit(null, 10_000)).find((e) => e.action === 'user_disabled' && e.targetId === user.id)!;
      assert.deepEqual(disabledEvent.details, { sessionsEnded: 2 });
    });

    it('a session of a user disabled outside the API (database, CLI) is refused at once', async () => {
      const pw = newPassword(h);
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('elsewhere'), email: 'e@example.com', password: pw });
      const session = await signIn(h, user.login, pw);
      await h.deps.store.setUserDisabled(user.id, h.clock.now());
      expectError(await send(h, 'GET', '/api/user', { cookie: session.cookie }), 401, 'session_invalid');
    });
  });
}
