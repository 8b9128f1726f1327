import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ConfigError, loadConfig } from '../src/config.js';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM } from '../src/domain/principal.js';
import type { User } from '../src/domain/records.js';
import { TOUCH_INTERVAL_MS } from '../src/domain/sessions/authenticate-session.js';
import { addressKey, LoginThrottle } from '../src/domain/sessions/login-throttle.js';
import { hashSessionId } from '../src/domain/sessions/session-id.js';
import { createUser } from '../src/domain/users/create-user.js';
import { clearedSessionCookie, sessionCookie } from '../src/http/session-cookie.js';
import { databaseKinds } from './support/databases.js';
import { expectError, startHarness, TestClock, uniqueName, type Harness } from './support/harness.js';

const MINUTE = 60_000;
const HOST = 'tessera.test';
const ORIGIN = `http://${HOST}`;

// Test-only, self-signed certificate for localhost / 127.0.0.1 (P-256, valid until 2126). It lets
// the W01 test reach the app over real TLS, where request.protocol is 'https'.
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgU1sd5N2YDCUfUFS4
I5W2LDb8dGczCWblfXuH3UiQMdehRANCAATZ0XFBFRnzw5sVCo9KFVoCO1zs3VDH
gOv3tuwTeGNegYGa68TmRbPtpZSo7i5x6lUT58nCuQS93TgWC3+tcZIX
-----END PRIVATE KEY-----
`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIUBXWGozmjdf0N5Fu+h5f8SgrMk4swCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNzE5MzAxMVoYDzIxMjYxMTAz
MTkzMDExWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATZ0XFBFRnzw5sVCo9KFVoCO1zs3VDHgOv3tuwTeGNegYGa68TmRbPt
pZSo7i5x6lUT58nCuQS93TgWC3+tcZIXo28wbTAdBgNVHQ4EFgQUWDr6fnfpOqna
ETRvc8Pbb26lE+0wHwYDVR0jBBgwFoAUWDr6fnfpOqnaETRvc8Pbb26lE+0wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSQAwRgIhAL9VhucxRo6Ct2jwiXQrmzj6fU+/YERSy2Lu8sYB0FSzAiEA
9T6UnPePdS0GVRTala8W6SKQmnSiWC6v5ngujr1xfY4=
-----END CERTIFICATE-----
`;

let addressCounter = 0;
/** A fresh source address, so the per-address throttle of one test does not reach the next. */
function freshAddress(): string {
  addressCounter += 1;
  return `10.${(addressCounter >> 8) & 255}.${addressCounter & 255}.7`;
}

interface Send {
  cookie?: string;
  csrf?: string;
  body?: unknown;
  headers?: Record<string, string>;
  address?: string;
  token?: string;
}

/** A request as the console in a browser on this server's own origin would send it. */
async function send(h: Harness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, o: Send = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { host: HOST, ...(o.headers ?? {}) };
  if (o.cookie !== undefined) headers.cookie = o.cookie;
  if (o.csrf !== undefined) headers['x-csrf-token'] = o.csrf;
  if (o.token !== undefined) headers.authorization = `token ${o.token}`;
  const res = await h.app.inject({
    method,
    url,
    headers,
    remoteAddress: o.address ?? '127.0.0.1',
    ...(o.body === undefined ? {} : { payload: o.body as string | object }),
  });
  if (res.body.includes('tokenValue')) h.secrets.add((res.json() as { tokenValue: string }).tokenValue);
  return res;
}

/** The session cookie a reply set: `name=value` and its attributes. */
function setCookie(res: LightMyRequestResponse): { pair: string; name: string; value: string; attributes: string[] } {
  // Besides the session cookie, a sign-in sets the known-browser cookie (X08): set aside here.
  const all = [res.headers['set-cookie'] ?? []].flat().filter((c) => !/^(__Host-)?tessera_known=/.test(c));
  const raw = all.length === 1 ? all[0] : undefined;
  assert.ok(typeof raw === 'string', `expected one session Set-Cookie header, got ${JSON.stringify(res.headers['set-cookie'])}`);
  const [pair, ...attributes] = raw.split(';').map((s) => s.trim());
  const [name, value] = pair!.split('=') as [string, string];
  return { pair: pair!, name, value, attributes };
}

interface Signed {
  cookie: string;
  csrf: string;
  id: string;
  body: { user: { githubLogin: string; siteAdmin: boolean; token?: unknown }; csrfToken: string; expiresAt: number };
}

async function signIn(h: Harness, login: string, password: string, o: Send = {}): Promise<Signed> {
  const res = await send(h, 'POST', '/api/session', { ...o, body: { login, password } });
  assert.equal(res.statusCode, 200, res.body);
  const c = setCookie(res);
  const body = res.json() as Signed['body'];
  h.secrets.add(c.value);
  h.secrets.add(body.csrfToken);
  return { cookie: c.pair, csrf: body.csrfToken, id: c.value, body };
}

async function makeAccount(h: Harness, opts: { siteAdmin?: boolean; password?: string } = {}): Promise<{ user: User; password: string }> {
  const password = opts.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  h.secrets.add(password);
  const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('person'), email: 'person@example.com', password, siteAdmin: opts.siteAdmin ?? false });
  return { user, password };
}

/** Every audit row, as text, for checks that no secret reached it. */
async function auditText(h: Harness): Promise<string> {
  return JSON.stringify(await h.deps.store.listAudit(null, 10_000));
}

for (const kind of databaseKinds()) {
  describe(`console sessions (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      const audit = await auditText(h);
      for (const s of h.secrets) assert.ok(!audit.includes(s), 'a secret reached the audit log');
      await h.close();
    });

    it('W01: signs in over http with an HttpOnly, SameSite=Lax, Path=/ cookie and the session reply', async () => {
      const { user, password } = await makeAccount(h);
      const res = await send(h, 'POST', '/api/session', { body: { login: user.login, password } });
      assert.equal(res.statusCode, 200, res.body);
      const c = setCookie(res);
      h.secrets.add(c.value);
      assert.equal(c.name, 'tessera_session');
      assert.match(c.value, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
      assert.deepEqual(c.attributes, ['Path=/', 'HttpOnly', 'SameSite=Lax']);
      const body = res.json();
      h.secrets.add(body.csrfToken);
      assert.equal(body.user.githubLogin, user.login);
      assert.equal(body.user.siteAdmin, false);
      assert.equal(body.user.token, undefined, 'a session is not a token');
      assert.equal(typeof body.csrfToken, 'string');
      assert.equal(body.expiresAt, h.clock.nowSec() + 12 * 3600);
      assert.ok(!res.body.includes(c.value), 'the session id is only in the cookie');
      assert.equal(res.headers['cache-control'], 'no-store');

      // Only the hash of the id is stored.
      assert.ok(await h.deps.store.findSession(hashSessionId(c.value)));
      const again = await send(h, 'GET', '/api/session', { cookie: c.pair });
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(again.json(), body);
      const me = await send(h, 'GET', '/api/user', { cookie: c.pair });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json().githubLogin, user.login);
    });

    it('W01: over https the cookie is __Host-tessera_session with Secure, and an unprefixed cookie is ignored', async () => {
      const { user, password } = await makeAccount(h);
      // Real TLS in front of the app's own HTTP server: the decrypted socket is handed to it, so
      // Fastify sees an encrypted socket exactly as when it serves https itself.
      const server = tls.createServer({ key: TLS_KEY, cert: TLS_CERT }, (socket) => h.app.server.emit('connection', socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const request = (method: string, path: string, headers: Record<string, string>, body?: string) =>
        new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
          const req = https.request({ host: '127.0.0.1', port, method, path, headers, rejectUnauthorized: false, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          });
          req.on('error', reject);
          req.end(body);
        });
      try {
        const origin = `https://127.0.0.1:${port}`;
        const res = await request('POST', '/api/session', { 'content-type': 'application/json', origin }, JSON.stringify({ login: user.login, password }));
        assert.equal(res.status, 200, res.body);
        const raw = (res.headers['set-cookie'] as string[] | undefined)?.filter((c) => !c.startsWith('__Host-tessera_known='));
        assert.ok(Array.isArray(raw) && raw.length === 1);
        const [pair, ...attributes] = raw[0]!.split(';').map((s) => s.trim());
        const [name, value] = pair!.split('=') as [string, string];
        h.secrets.add(value);
        h.secrets.add(JSON.parse(res.body).csrfToken);
        assert.equal(name, '__Host-tessera_session');
        assert.deepEqual(attributes, ['Path=/', 'HttpOnly', 'SameSite=Lax', 'Secure']);

        assert.equal((await request('GET', '/api/session', { cookie: pair! })).status, 200);
        // Over https, an http page of the same host is another origin.
        assert.equal((await request('GET', '/api/session', { cookie: pair!, origin: `http://127.0.0.1:${port}` })).status, 403);
        // A cookie without the prefix could have been planted by a sibling subdomain: not used over https.
        const planted = await request('GET', '/api/session', { cookie: `tessera_session=${value}` });
        assert.equal(planted.status, 401);
        // Sign-out clears the prefixed cookie with the same attributes.
        const csrf = JSON.parse(res.body).csrfToken as string;
        const out = await request('DELETE', '/api/session', { cookie: pair!, 'x-csrf-token': csrf, origin });
        assert.equal(out.status, 204, out.body);
        assert.equal((out.headers['set-cookie'] as string[])[0], clearedSessionCookie(true));
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      // And the builder itself, for both schemes.
      assert.equal(sessionCookie('abc', true), '__Host-tessera_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure');
      assert.equal(sessionCookie('abc', false), 'tessera_session=abc; Path=/; HttpOnly; SameSite=Lax');
    });

    it('refuses wrong passwords, unknown logins, disabled users and password-less users alike, with equal work', async () => {
      const { user, password } = await makeAccount(h);
      const disabled = await makeAccount(h);
      await h.deps.store.setUserDisabled(disabled.user.id, h.clock.now());
      const noPassword = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('nopw'), email: 'x@example.com' });
      const address = freshAddress();
      const attempt = async (login: string, pw: string) => {
        const started = process.hrtime.bigint();
        const res = await send(h, 'POST', '/api/session', { body: { login, password: pw }, address });
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const body = expectError(res, 401, 'login_failed');
        assert.equal(res.headers['set-cookie'], undefined);
        return { message: body.message, ms };
      };
      const wrong = await attempt(user.login, `${password}x`);
      const unknown = await attempt(uniqueName('ghost'), password);
      const off = await attempt(disabled.user.login, disabled.password);
      const none = await attempt(noPassword.login, 'whatever-it-is');
      for (const r of [unknown, off, none]) assert.equal(r.message, wrong.message, 'one generic message');
      // An unknown login costs a full password check too (scrypt against a dummy hash): far more
      // than a database lookup. Loose bound, so a busy machine does not make it flaky.
      assert.ok(unknown.ms > wrong.ms * 0.3, `unknown login answered in ${unknown.ms} ms, a wrong password in ${wrong.ms} ms`);
      assert.ok(none.ms > wrong.ms * 0.3);

      const events = (await h.deps.store.listAudit(null, 1000)).filter((e) => e.action === 'login_failed');
      const forUser = events.find((e) => e.targetName === user.login)!;
      assert.equal(forUser.actorLogin, null);
      assert.equal(forUser.sourceIp, address);
      assert.deepEqual(forUser.details, { reason: 'wrong_password' });
      assert.ok(events.some((e) => e.targetName === disabled.user.login && (e.details as { reason: string }).reason === 'disabled'));
      const text = JSON.stringify(events);
      for (const pw of [password, `${password}x`, disabled.password]) assert.ok(!text.includes(pw), 'no password in the audit log');
      // Validation errors do not echo the password either.
      const long = 'L'.repeat(1025);
      const tooLong = expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password: long }, address: freshAddress() }), 400, 'invalid_request');
      assert.ok(!tooLong.message.includes(long));
    });

    it('W02: a new session id at every sign-in; a cookie presented at sign-in is ended', async () => {
      const { user, password } = await makeAccount(h);
      const first = await signIn(h, user.login, password);
      const second = await signIn(h, user.login, password, { cookie: first.cookie });
      assert.notEqual(second.id, first.id);
      assert.notEqual(second.csrf, first.csrf, 'the CSRF token belongs to one session');
      expectError(await send(h, 'GET', '/api/session', { cookie: first.cookie }), 401, 'session_invalid');
      assert.equal(await h.deps.store.findSession(hashSessionId(first.id)), undefined, 'deleted server-side');
      assert.equal((await send(h, 'GET', '/api/session', { cookie: second.cookie })).statusCode, 200);

      // An attacker-chosen id planted before sign-in is never adopted.
      const planted = randomBytes(32).toString('base64url');
      const third = await signIn(h, user.login, password, { cookie: `tessera_session=${planted}` });
      assert.notEqual(third.id, planted);
      expectError(await send(h, 'GET', '/api/session', { cookie: `tessera_session=${planted}` }), 401, 'session_invalid');
      // Sessions in another browser are unaffected by this one's sign-in.
      assert.equal((await send(h, 'GET', '/api/session', { cookie: second.cookie })).statusCode, 200);
    });

    it('W03: sign-out ends the session server-side; the cookie replayed is refused', async () => {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      const out = await send(h, 'DELETE', '/api/session', { cookie: s.cookie, csrf: s.csrf, headers: { origin: ORIGIN } });
      assert.equal(out.statusCode, 204, out.body);
      assert.equal(out.headers['set-cookie'], clearedSessionCookie(false));
      const replay = expectError(await send(h, 'GET', '/api/session', { cookie: s.cookie }), 401, 'session_invalid');
      assert.match(replay.message, /sign in again/);
      expectError(await send(h, 'GET', '/api/user', { cookie: s.cookie }), 401, 'session_invalid');
      expectError(await send(h, 'POST', '/api/user/tokens', { cookie: s.cookie, csrf: s.csrf, body: {} }), 401, 'session_invalid');
      // Signing out again (or without a session) still succeeds.
      assert.equal((await send(h, 'DELETE', '/api/session', { cookie: s.cookie, csrf: s.csrf })).statusCode, 204);
      assert.equal((await send(h, 'DELETE', '/api/session')).statusCode, 204);
      const events = (await h.deps.store.listAudit(null, 1000)).filter((e) => e.targetId === user.id);
      assert.deepEqual(
        events.map((e) => e.action),
        ['session_deleted', 'session_created', 'user_created'],
      );
      assert.equal(events[0]!.actorLogin, user.login);
      assert.equal((events[0]!.details as { session: string }).session, (events[1]!.details as { session: string }).session);
    });

    it('W03: the idle timeout (30 min) ends a quiet session; activity keeps it alive', async () => {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      h.clock.advance(29 * MINUTE);
      assert.equal((await send(h, 'GET', '/api/session', { cookie: s.cookie })).statusCode, 200, 'still alive after 29 quiet minutes');
      h.clock.advance(29 * MINUTE);
      assert.equal((await send(h, 'GET', '/api/session', { cookie: s.cookie })).statusCode, 200, 'the last request counted as activity');
      h.clock.advance(30 * MINUTE);
      expectError(await send(h, 'GET', '/api/session', { cookie: s.cookie }), 401, 'session_invalid');
      assert.equal(await h.deps.store.findSession(hashSessionId(s.id)), undefined, 'a dead session is deleted on sight');
    });

    it('W03: the absolute timeout (12 h) ends even a busy session', async () => {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      const expiresAt = s.body.expiresAt;
      for (let t = 0; t < 12 * 60 - 20; t += 20) {
        h.clock.advance(20 * MINUTE);
        assert.equal((await send(h, 'GET', '/api/user', { cookie: s.cookie })).statusCode, 200);
      }
      h.clock.set(expiresAt * 1000 - 1000);
      assert.equal((await send(h, 'GET', '/api/session', { cookie: s.cookie })).statusCode, 200);
      h.clock.set(expiresAt * 1000);
      expectError(await send(h, 'GET', '/api/session', { cookie: s.cookie }), 401, 'session_invalid');
    });

    it('records activity at most once a minute per session', async () => {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      const hash = hashSessionId(s.id);
      const signedInAt = h.clock.now();
      for (let i = 0; i < 5; i++) {
        h.clock.advance(10_000);
        assert.equal((await send(h, 'GET', '/api/user', { cookie: s.cookie })).statusCode, 200);
      }
      assert.equal((await h.deps.store.findSession(hash))!.session.lastSeenAt, signedInAt, 'no write within the first minute');
      h.clock.advance(TOUCH_INTERVAL_MS);
      await send(h, 'GET', '/api/user', { cookie: s.cookie });
      assert.equal((await h.deps.store.findSession(hash))!.session.lastSeenAt, h.clock.now());
    });

    it('W04: cross-site and token-less state changes with the cookie are refused and change nothing', async () => {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      const list = async () => (await send(h, 'GET', '/api/user/tokens?filter=all', { cookie: s.cookie })).json().tokens as Array<{ id: string; status: string }>;
      const created = await send(h, 'POST', '/api/user/tokens', { cookie: s.cookie, csrf: s.csrf, headers: { origin: ORIGIN, 'sec-fetch-site': 'same-origin' }, body: { description: 'kept' } });
      assert.equal(created.statusCode, 200, created.body);
      const keep = created.json().id as string;
      const before = await list();
      const auditBefore = (await h.deps.store.listAudit(null, 10_000)).length;

      const forged: Array<[string, Send & { method?: 'POST' | 'DELETE'; url?: string }]> = [
        ['no CSRF token', { body: {} }],
        ['a wrong CSRF token', { csrf: 'x'.repeat(43), body: {} }],
        ["another session's CSRF token", { csrf: (await signIn(h, user.login, password)).csrf, body: {} }],
        ['Origin https://evil.example', { csrf: s.csrf, headers: { origin: 'https://evil.example' }, body: {} }],
        ['Origin null', { csrf: s.csrf, headers: { origin: 'null' }, body: {} }],
        ['Sec-Fetch-Site cross-site', { csrf: s.csrf, headers: { 'sec-fetch-site': 'cross-site' }, body: {} }],
        ['Sec-Fetch-Site same-site', { csrf: s.csrf, headers: { 'sec-fetch-site': 'same-site' }, body: {} }],
        ['a form post', { headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'description=pwned' }],
        ['a text/plain post', { headers: { 'content-type': 'text/plain' }, body: '{"description":"pwned"}' }],
        ['a same-origin form post without token', { headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, body: 'description=pwned' }],
        ['a delete without token', { method: 'DELETE', url: `/api/user/tokens/${keep}` }],
        ['a cross-site delete', { method: 'DELETE', url: `/api/user/tokens/${keep}`, csrf: s.csrf, headers: { 'sec-fetch-site': 'cross-site' } }],
        ['an organization created cross-site', { url: '/api/orgs', headers: { origin: 'https://evil.example' }, body: { name: uniqueName('evil') } }],
      ];
      for (const [what, o] of forged) {
        const res = await send(h, o.method ?? 'POST', o.url ?? '/api/user/tokens', { cookie: s.cookie, ...o });
        expectError(res, 403, 'csrf_failed');
        assert.ok(!res.body.includes('tokenValue'), what);
      }
      assert.deepEqual(await list(), before, 'nothing changed');
      assert.equal((await h.deps.store.listAudit(null, 10_000)).length, auditBefore + 1, 'only the extra sign-in was recorded');
      // A session does not change its own sign-out from another site either.
      expectError(await send(h, 'DELETE', '/api/session', { cookie: s.cookie, headers: { origin: 'https://evil.example' } }), 403, 'csrf_failed');
      expectError(await send(h, 'DELETE', '/api/session', { cookie: s.cookie }), 403, 'csrf_failed');
      assert.equal((await send(h, 'GET', '/api/session', { cookie: s.cookie })).statusCode, 200);

      // With the token and from the same origin, the same requests work.
      const ok = await send(h, 'DELETE', `/api/user/tokens/${keep}`, { cookie: s.cookie, csrf: s.csrf, headers: { origin: ORIGIN } });
      assert.equal(ok.statusCode, 204, ok.body);
    });

    it('W04: a session cannot be used as an API credential from another origin, even to read', async () => {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      const foreign: Array<Record<string, string>> = [
        { 'sec-fetch-site': 'cross-site' },
        { origin: 'https://evil.example' },
        { origin: 'http://tessera.test.evil.example' },
        { origin: `https://${HOST}:8443` },
        { 'sec-fetch-site': 'same-site' },
      ];
      for (const headers of foreign) {
        for (const url of ['/api/user', '/api/user/tokens', '/api/session']) {
          const res = await send(h, 'GET', url, { cookie: s.cookie, headers });
          expectError(res, 403, 'csrf_failed');
          assert.ok(!res.body.includes(user.login), 'nothing about the user leaks');
        }
      }
      // `https://` + the same Host is a TLS-terminating proxy in front of this http listener.
      const own: Array<Record<string, string>> = [{}, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: ORIGIN }, { origin: `http://${HOST}:80` }, { origin: `https://${HOST}` }];
      for (const headers of own) {
        assert.equal((await send(h, 'GET', '/api/user', { cookie: s.cookie, headers })).statusCode, 200, JSON.stringify(headers));
      }
    });

    it('requests with an Authorization header ignore cookies entirely', async () => {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      const created = await send(h, 'POST', '/api/user/tokens', { cookie: s.cookie, csrf: s.csrf, body: {} });
      assert.equal(created.statusCode, 200, created.body);
      const token = created.json().tokenValue as string;
      // A bad token with a good cookie: refused, the cookie does not rescue it.
      expectError(await send(h, 'GET', '/api/user', { cookie: s.cookie, headers: { authorization: 'token nonsense' } }), 401, 'token_invalid');
      // A good token with a cookie and no CSRF token: the token decides, as for any API client.
      const withToken = await send(h, 'POST', '/api/user/tokens', { cookie: s.cookie, token, body: {} });
      assert.equal(withToken.statusCode, 200, withToken.body);
      const me = (await send(h, 'GET', '/api/user', { cookie: s.cookie, token })).json();
      assert.equal(me.token.type, 'personal', 'the token, not the session, authenticated it');
      // /api/session is about the cookie only.
      expectError(await send(h, 'GET', '/api/session', { token }), 401, 'session_invalid');
      // Garbage cookies are refused without a lookup, and told to go away.
      const junk = await send(h, 'GET', '/api/user', { cookie: 'tessera_session=%00junk' });
      expectError(junk, 401, 'session_invalid');
      assert.equal(junk.headers['set-cookie'], clearedSessionCookie(false));
      // Two session cookies are ambiguous (one may be planted): neither is used.
      expectError(await send(h, 'GET', '/api/user', { cookie: `${s.cookie}; ${s.cookie}` }), 401, 'session_invalid');
      // Other cookies beside ours are fine.
      assert.equal((await send(h, 'GET', '/api/user', { cookie: `theme=dark; ${s.cookie}; lang=en` })).statusCode, 200);
    });

    it('W07: failed sign-ins are throttled per account, with Retry-After; the right password waits too', async () => {
      const { user, password } = await makeAccount(h);
      for (let i = 0; i < 5; i++) {
        expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password: `wrong-${i}-password` }, address: freshAddress() }), 401, 'login_failed');
        h.clock.advance(1000);
      }
      const locked = await send(h, 'POST', '/api/session', { body: { login: user.login, password }, address: freshAddress() });
      expectError(locked, 429, 'too_many_attempts');
      assert.equal(locked.headers['retry-after'], String(15 * 60 - 5));
      assert.equal(locked.headers['set-cookie'], undefined);
      // Unknown logins are throttled the same way, so a 429 does not reveal that an account exists.
      const ghost = uniqueName('ghost');
      for (let i = 0; i < 5; i++) expectError(await send(h, 'POST', '/api/session', { body: { login: ghost, password: 'not-the-password' }, address: freshAddress() }), 401, 'login_failed');
      expectError(await send(h, 'POST', '/api/session', { body: { login: ghost, password: 'not-the-password' }, address: freshAddress() }), 429, 'too_many_attempts');

      h.clock.advance(15 * MINUTE);
      await signIn(h, user.login, password, { address: freshAddress() });
      // The window has passed: the account takes failures again (a success alone does not clear its count: X08).
      expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password: 'wrong-again-1' }, address: freshAddress() }), 401, 'login_failed');
      await signIn(h, user.login, password, { address: freshAddress() });
    });

    it('W07: failed sign-ins are throttled per source address across accounts', async () => {
      const address = freshAddress();
      for (let i = 0; i < 20; i++) {
        expectError(await send(h, 'POST', '/api/session', { body: { login: uniqueName('spray'), password: 'Password1!' }, address }), 401, 'login_failed');
      }
      const { user, password } = await makeAccount(h);
      const res = await send(h, 'POST', '/api/session', { body: { login: user.login, password }, address });
      expectError(res, 429, 'too_many_attempts');
      assert.equal(res.headers['retry-after'], String(15 * 60));
      // Another address is not affected.
      await signIn(h, user.login, password, { address: freshAddress() });
      h.clock.advance(15 * MINUTE);
      await signIn(h, user.login, password, { address });
    });

    it('W07: long passphrases (64, 1024 characters, non-ASCII) are accepted; there is no 72-byte cut-off', async () => {
      for (const password of ['p'.repeat(64), 'correct horse battery staple '.repeat(40).slice(0, 1024), 'ünïcødé-パスワード-🔑-'.repeat(4)]) {
        const { user } = await makeAccount(h, { password });
        const s = await signIn(h, user.login, password, { address: freshAddress() });
        assert.equal(s.body.user.githubLogin, user.login);
      }
      // Two passwords that share their first 72 bytes (bcrypt's limit) are different passwords here.
      const base = 'b'.repeat(72);
      const { user } = await makeAccount(h, { password: `${base}-one` });
      h.secrets.add(`${base}-two`);
      expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password: `${base}-two` }, address: freshAddress() }), 401, 'login_failed');
    });

    it('sign-in and setup from another site are refused (login CSRF)', async () => {
      const { user, password } = await makeAccount(h);
      const foreign: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }];
      for (const headers of foreign) {
        const res = await send(h, 'POST', '/api/session', { headers, body: { login: user.login, password } });
        expectError(res, 403, 'csrf_failed');
        assert.equal(res.headers['set-cookie'], undefined);
      }
      expectError(await send(h, 'POST', '/api/setup', { headers: { origin: 'https://evil.example' }, body: { login: 'x', email: 'x@example.com', password: 'long-enough' } }), 403, 'csrf_failed');
      // Unknown fields are refused, not ignored.
      expectError(await send(h, 'POST', '/api/session', { body: { login: user.login, password, admin: true } }), 400, 'invalid_request');
    });
  });
}

describe('login throttle (unit)', () => {
  it('F21: counters are per process; a new throttle (a restart) starts empty', () => {
    const clock = new TestClock();
    const limits = { perAccount: 2, perAddress: 3, windowMs: 60_000 };
    const t = new LoginThrottle(clock, limits);
    t.recordFailure('alice', '192.0.2.1');
    clock.advance(10_000);
    t.recordFailure('Alice', '192.0.2.2');
    assert.equal(t.retryAfterSeconds('alice', '192.0.2.9'), 50, 'case-folded account, sliding window from the oldest failure');
    assert.equal(t.retryAfterSeconds('bob', '192.0.2.1'), 0);
    clock.advance(40_000);
    assert.equal(t.retryAfterSeconds('alice', null), 10);
    clock.advance(10_000);
    assert.equal(t.retryAfterSeconds('alice', null), 0);
    for (const login of ['a', 'b', 'c']) t.recordFailure(login, '198.51.100.7');
    assert.equal(t.retryAfterSeconds('d', '198.51.100.7'), 60);
    t.recordSuccess('d');
    assert.equal(t.retryAfterSeconds('d', '198.51.100.7'), 60, 'a success does not clear the address');
    assert.equal(new LoginThrottle(clock, limits).retryAfterSeconds('d', '198.51.100.7'), 0, 'what a restart loses');
  });

  it('counts IPv6 addresses by /64 and IPv4-mapped addresses as IPv4', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
    assert.equal(addressKey('2001:0db8:0001:0002::1'), 'address:2001:db8:1:2::/64');
    assert.equal(addressKey('::1'), 'address:0:0:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'address:fe80:0:0:0::/64');
    assert.equal(addressKey('::ffff:192.0.2.1'), addressKey('192.0.2.1'));
    assert.equal(addressKey('192.0.2.1'), 'address:192.0.2.1');
  });
});

describe('session configuration', () => {
  it('TESSERA_SESSION_IDLE_TIMEOUT and TESSERA_SESSION_MAX_AGE take durations', () => {
    const c = loadConfig({ TESSERA_SESSION_IDLE_TIMEOUT: '15m', TESSERA_SESSION_MAX_AGE: '1d' });
    assert.equal(c.sessionIdleTimeoutSeconds, 900);
    assert.equal(c.sessionMaxAgeSeconds, 86400);
    const d = loadConfig({});
    assert.equal(d.sessionIdleTimeoutSeconds, 1800);
    assert.equal(d.sessionMaxAgeSeconds, 43200);
  });

  it('refuses bad values, naming the variable, all at once', () => {
    for (const [env, pattern] of [
      [{ TESSERA_SESSION_IDLE_TIMEOUT: 'soon' }, /TESSERA_SESSION_IDLE_TIMEOUT must be a duration/],
      [{ TESSERA_SESSION_IDLE_TIMEOUT: '30s' }, /TESSERA_SESSION_IDLE_TIMEOUT must be a duration of at least 1m/],
      [{ TESSERA_SESSION_MAX_AGE: '0h' }, /TESSERA_SESSION_MAX_AGE must be a duration/],
      [{ TESSERA_SESSION_IDLE_TIMEOUT: '2h', TESSERA_SESSION_MAX_AGE: '1h' }, /must not be longer than TESSERA_SESSION_MAX_AGE/],
    ] as Array<[NodeJS.ProcessEnv, RegExp]>) {
      assert.throws(() => loadConfig(env), (err: Error) => err instanceof ConfigError && pattern.test(err.message), JSON.stringify(env));
    }
    try {
      loadConfig({ TESSERA_SESSION_IDLE_TIMEOUT: 'x', TESSERA_SESSION_MAX_AGE: 'y' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
    }
  });

  it('the configured timeouts govern sessions', async () => {
    const h = await startHarness('sqlite', { sessionIdleTimeoutSeconds: 120, sessionMaxAgeSeconds: 600 });
    try {
      const { user, password } = await makeAccount(h);
      const s = await signIn(h, user.login, password);
      assert.equal(s.body.expiresAt, h.clock.nowSec() + 600);
      h.clock.advance(119_000);
      assert.equal((await send(h, 'GET', '/api/session', { cookie: s.cookie })).statusCode, 200);
      h.clock.advance(120_000);
      expectError(await send(h, 'GET', '/api/session', { cookie: s.cookie }), 401, 'session_invalid');
    } finally {
      await h.close();
    }
  });
});
