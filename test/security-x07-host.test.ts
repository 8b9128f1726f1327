import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { withServices } from './support/fault-db.js';
import { startServer, type ServerProcess } from './support/server-process.js';

// Catalog X07: DNS rebinding. A page on rebind.example whose name is made to resolve to 127.0.0.1
// talks to a developer's `npm start` as same-origin: its requests carry `Host: rebind.example:8080`
// and `Origin: http://rebind.example:8080`. Console, sign-in and setup requests are answered only
// for the hosts of TESSERA_PUBLIC_URL (by default the listen URL), or loopback names on loopback.

const REBIND_HOST = 'rebind.example:8080';
const REBIND_ORIGIN = `http://${REBIND_HOST}`;
const PASSWORD = 'correct horse battery staple';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
  text: string;
}

/** A request to the server's socket with whatever Host and Origin the attacker's browser sends. */
function request(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const h: Record<string, string | number> = { ...headers };
  if (payload) {
    h['content-type'] = 'application/json';
    h['content-length'] = payload.length;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: String(res.headers['content-type']).includes('json') && text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function expect421(r: Reply, what: string): void {
  assert.equal(r.status, 421, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.json.code, 421);
  assert.equal(r.json.reason, 'host_not_allowed');
  assert.equal(typeof r.json.message, 'string');
  assert.equal(r.json.requestId, r.headers['x-request-id']);
  assert.equal(r.headers['set-cookie'], undefined, `${what}: no cookie is set`);
}

for (const kind of databaseKinds()) {
  describe(`X07: DNS rebinding (${kind})`, () => {
    let db: TestDatabase;
    let server: ServerProcess;
    const servers: ServerProcess[] = [];

    before(async () => {
      db = await createTestDatabase(kind);
      // A developer's `npm start`: loopback, no TESSERA_PUBLIC_URL.
      server = await startServer(db.url);
      servers.push(server);
    });
    after(async () => {
      for (const s of servers) await s.kill();
      await db.drop();
      for (const s of servers) assert.ok(!s.output().includes(PASSWORD), 'the password never reaches the logs');
    });

    const rebind = (extra: Record<string, string> = {}) => ({ host: REBIND_HOST, origin: REBIND_ORIGIN, 'sec-fetch-site': 'same-origin', ...extra });
    const own = (extra: Record<string, string> = {}) => ({ host: `127.0.0.1:${server.port}`, origin: `http://127.0.0.1:${server.port}`, 'sec-fetch-site': 'same-origin', ...extra });
    const auditCount = () => withServices(db.url, async (s) => (await s.deps.store.listAudit(null, 10_000)).length);
    const userCount = () => withServices(db.url, async (s) => s.deps.store.countUsers());

    it('X07: Host rebind.example:8080 with a matching Origin cannot complete setup, sign in, or use a session cookie (421, nothing changed)', async () => {
      const setupBody = { login: 'admin', email: 'admin@example.com', password: PASSWORD };
      // First-run setup through the rebinding name: refused, reading and writing alike.
      expect421(await request(server.port, 'GET', '/api/setup', rebind()), 'GET /api/setup');
      expect421(await request(server.port, 'POST', '/api/setup', rebind(), setupBody), 'POST /api/setup');
      // An untrusted X-Forwarded-Host does not lend the request our name.
      expect421(await request(server.port, 'POST', '/api/setup', rebind({ 'x-forwarded-host': `127.0.0.1:${server.port}` }), setupBody), 'POST /api/setup with X-Forwarded-Host');
      // Nor does a Host with our name but another port, or a look-alike.
      for (const host of [`127.0.0.1.rebind.example:${server.port}`, `localhost.rebind.example`, `127.0.0.2:${server.port}`]) {
        expect421(await request(server.port, 'POST', '/api/setup', { ...rebind(), host }, setupBody), `POST /api/setup Host ${host}`);
      }
      // The console's HTML is not served under that name either.
      expect421(await request(server.port, 'GET', '/', rebind({ accept: 'text/html' })), 'GET /');
      expect421(await request(server.port, 'GET', '/orgs/acme', rebind({ accept: 'text/html' })), 'GET /orgs/acme');
      assert.equal(await userCount(), 0, 'no user was created');
      assert.equal((await request(server.port, 'GET', '/api/setup', own())).json.needed, true, 'setup is still open to the developer');
      assert.equal(await auditCount(), 0, 'nothing was audited: nothing happened');

      // The developer completes setup on the listen URL (a loopback name works too).
      assert.equal((await request(server.port, 'GET', '/api/setup', own({ host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` }))).status, 200);
      const setup = await request(server.port, 'POST', '/api/setup', own(), setupBody);
      assert.equal(setup.status, 200, setup.text);
      const cookie = String(setup.headers['set-cookie']).split(';')[0]!;
      const csrf = setup.json.csrfToken as string;
      assert.ok(csrf);
      const minted = await request(server.port, 'POST', '/api/user/tokens', own({ cookie, 'x-csrf-token': csrf }), { description: 'dev' });
      assert.equal(minted.status, 200, minted.text);
      const token = minted.json.tokenValue as string;
      const audited = await auditCount();

      // Sign-in through the rebinding name: refused before the password is looked at.
      expect421(await request(server.port, 'POST', '/api/session', rebind(), { login: 'admin', password: PASSWORD }), 'POST /api/session');
      expect421(await request(server.port, 'POST', '/api/session', rebind(), { login: 'admin', password: 'wrong' }), 'POST /api/session (wrong password)');
      // The session cookie (say the browser holds one for that name) is worthless there, read or write.
      expect421(await request(server.port, 'GET', '/api/user', rebind({ cookie })), 'GET /api/user with the cookie');
      expect421(await request(server.port, 'GET', '/api/session', rebind({ cookie })), 'GET /api/session with the cookie');
      expect421(await request(server.port, 'POST', '/api/user/tokens', rebind({ cookie, 'x-csrf-token': csrf }), { description: 'stolen' }), 'POST /api/user/tokens with the cookie');
      expect421(await request(server.port, 'POST', '/api/orgs', rebind({ cookie, 'x-csrf-token': csrf }), { name: 'pwned' }), 'POST /api/orgs with the cookie');
      expect421(await request(server.port, 'DELETE', '/api/session', rebind({ cookie, 'x-csrf-token': csrf })), 'DELETE /api/session');
      // On our own Host, an Origin of the rebinding name is another site (compared with the public URL, not the Host).
      const crossOrigin = await request(server.port, 'POST', '/api/user/tokens', own({ cookie, 'x-csrf-token': csrf, origin: REBIND_ORIGIN }), { description: 'cross' });
      assert.equal(crossOrigin.status, 403, crossOrigin.text);
      assert.equal(crossOrigin.json.reason, 'csrf_failed');

      // Nothing changed: one token, the session alive, no new audit event.
      const tokens = await request(server.port, 'GET', '/api/user/tokens', { authorization: `token ${token}` });
      assert.equal(tokens.status, 200);
      assert.equal(tokens.json.tokens.length, 1);
      assert.equal((await request(server.port, 'GET', '/api/session', own({ cookie }))).status, 200, 'the session was not ended');
      assert.equal(await auditCount(), audited, 'no audit event from the refused requests');
      const orgs = await request(server.port, 'GET', '/api/user', { authorization: `token ${token}` });
      assert.deepEqual(orgs.json.organizations, []);

      // Token-authenticated API calls are not Host-checked: API clients may use any name.
      const api = await request(server.port, 'GET', '/api/user', { host: REBIND_HOST, authorization: `token ${token}` });
      assert.equal(api.status, 200, api.text);
      assert.equal(api.json.githubLogin, 'admin');
      // A cookie beside an Authorization header is ignored, Host and all.
      assert.equal((await request(server.port, 'GET', '/api/user', { host: REBIND_HOST, cookie, authorization: `token ${token}` })).status, 200);
    });

    it('X07: TESSERA_PUBLIC_URL names the accepted hosts; it is required off loopback', async () => {
      const named = await startServer(db.url, { TESSERA_PUBLIC_URL: 'https://tessera.example.com, http://tessera.test:8443' });
      servers.push(named);
      for (const [host, origin] of [['tessera.example.com', 'https://tessera.example.com'], ['tessera.example.com:443', 'https://tessera.example.com'], ['tessera.test:8443', 'http://tessera.test:8443'], [`127.0.0.1:${named.port}`, `http://127.0.0.1:${named.port}`]]) {
        const r = await request(named.port, 'POST', '/api/session', { host: host!, origin: origin! }, { login: 'admin', password: 'wrong' });
        assert.equal(r.status, 401, `${host}: ${r.text}`);
        assert.equal(r.json.reason, 'login_failed');
      }
      for (const host of ['tessera.test', 'tessera.test:8080', 'tessera.test:80', 'tessera.example.com:80', 'evil.tessera.example.com', 'tessera.example.com:8443', 'tessera.example.com.', REBIND_HOST]) {
        expect421(await request(named.port, 'POST', '/api/session', { host, origin: `http://${host}` }, { login: 'admin', password: 'wrong' }), `Host ${host}`);
      }
      // The Origin must be a public URL's origin, whatever the Host says.
      const wrongOrigin = await request(named.port, 'POST', '/api/session', { host: 'tessera.example.com', origin: 'http://tessera.example.com' }, { login: 'admin', password: 'wrong' });
      assert.equal(wrongOrigin.status, 403, wrongOrigin.text);

      // Behind a trusted TLS-terminating proxy the host is the one the proxy forwards; from anyone else that header is ignored.
      const proxied = await startServer(db.url, { TESSERA_PUBLIC_URL: 'https://tessera.example.com', TESSERA_TRUST_PROXY: 'loopback' });
      servers.push(proxied);
      const viaProxy = (forwardedHost: string) =>
        request(proxied.port, 'POST', '/api/session', { host: `127.0.0.1:${proxied.port}`, 'x-forwarded-host': forwardedHost, 'x-forwarded-proto': 'https', origin: `https://${forwardedHost}` }, { login: 'admin', password: 'wrong' });
      const forwarded = await viaProxy('tessera.example.com');
      assert.equal(forwarded.status, 401, forwarded.text);
      expect421(await viaProxy(REBIND_HOST), 'X-Forwarded-Host rebind.example from the trusted proxy');
      // `named` trusts no proxy: its X-Forwarded-Host counts for nothing, the Host header decides.
      expect421(await request(named.port, 'POST', '/api/session', { host: REBIND_HOST, 'x-forwarded-host': 'tessera.example.com', origin: 'https://tessera.example.com' }, { login: 'admin', password: 'wrong' }), 'untrusted X-Forwarded-Host');

      // Listening on every interface without a public URL: the server refuses to start.
      await assert.rejects(startServer(db.url, { TESSERA_HOST: '0.0.0.0' }), /TESSERA_PUBLIC_URL is required/);
    });

    it('X07: TESSERA_PUBLIC_URL is validated with the other variables and reported at once', () => {
      assert.deepEqual(loadConfig({}).publicUrls, ['http://127.0.0.1:8080']);
      assert.deepEqual(loadConfig({ TESSERA_HOST: '::1', TESSERA_PORT: '9000' }).publicUrls, ['http://[::1]:9000']);
      const c = loadConfig({ TESSERA_HOST: '0.0.0.0', TESSERA_PUBLIC_URL: 'https://Tessera.Example.com/, https://tessera.internal:8443' });
      assert.deepEqual(c.publicUrls, ['https://tessera.example.com', 'https://tessera.internal:8443']);
      assert.equal(c.listensOnLoopback, false);
      try {
        loadConfig({ TESSERA_HOST: '0.0.0.0', TESSERA_PUBLIC_URL: 'ftp://x, https://a.example/path, https://u:p@b.example, not a url', TESSERA_PORT: 'x' });
        assert.fail('expected a ConfigError');
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.filter((p) => p.startsWith('TESSERA_PUBLIC_URL')).length, 4, err.message);
        assert.ok(err.problems.some((p) => p.startsWith('TESSERA_PORT')));
      }
      assert.throws(() => loadConfig({ TESSERA_HOST: '192.0.2.10' }), /TESSERA_PUBLIC_URL is required/);
      assert.equal(loadConfig({ TESSERA_HOST: 'localhost' }).listensOnLoopback, true);
      assert.equal(loadConfig({ TESSERA_HOST: '127.0.0.2' }).listensOnLoopback, true);
    });
  });
}
