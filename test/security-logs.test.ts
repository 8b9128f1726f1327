import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM, type Principal } from '../src/domain/principal.js';
import { issueToken } from '../src/domain/tokens/issue-token.js';
import { createUser } from '../src/domain/users/create-user.js';
import { buildApp } from '../src/http/app.js';
import { openServices } from '../src/services.js';
import { VERSION } from '../src/version.js';
import { createTestDatabase, databaseKinds } from './support/databases.js';
import { call, LogCapture, makeOrg, makePerson, makeTeam, makeToken, startHarness, uniqueName, type Harness } from './support/harness.js';
import { listenOnLoopback, rawRequest } from './support/raw-http.js';
import { startServer } from './support/server-process.js';

/**
 * Every place a secret could hide in a log line: the raw text, each string value of the parsed
 * JSON (so a \u-escaped secret is found too), and any Buffer pino serialized as a byte array.
 */
function textsOf(line: string): string[] {
  const out = [line];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'Buffer' && Array.isArray(o.data)) out.push(Buffer.from(o.data as number[]).toString('latin1'));
      Object.values(o).forEach(walk);
    }
  };
  try {
    walk(JSON.parse(line));
  } catch {
    // not JSON (a server's stderr, say): the raw text above is still searched
  }
  return out;
}

/** Lines that contain any of the secrets, described without repeating the secret. */
function leaks(lines: readonly string[], secrets: Iterable<string>): string[] {
  const found: string[] = [];
  const list = [...secrets];
  lines.forEach((line, i) => {
    const texts = textsOf(line);
    list.forEach((s, j) => {
      if (texts.some((t) => t.includes(s))) found.push(`line ${i} holds secret #${j} (${s.slice(0, 5)}…)`);
    });
  });
  return found;
}

/** The parts of a token value that are secret on their own: a near-copy in a log is a leak too. */
function secretPartsOf(value: string): string[] {
  return [value, value.slice(5, 37), Buffer.from(`user:${value}`).toString('base64')];
}

for (const kind of databaseKinds()) {
  describe(`security: logs L01 (${kind})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => h.close());

    it('L01: after requests that carried many secrets in every place a client might put them, no captured log line holds one', async () => {
      const secrets = new Set<string>();
      const password = `pw-${randomBytes(12).toString('base64url')}`;
      secrets.add(password);
      h.secrets.add(password);
      const withPassword = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('pw'), email: 'pw@example.com', password });
      const pwPrincipal: Principal = { kind: 'user', user: withPassword, token: null };
      const pwToken = await makeToken(h, pwPrincipal, { type: 'personal' });

      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const team = await makeTeam(h, org);
      const issued: string[] = [pwToken.value, admin.token];
      // Tokens of every type, created through the API so their values pass through a response.
      const created: Array<{ id: string; tokenValue: string; url: string }> = [];
      for (const [url, body] of [
        ['/api/user/tokens', { description: 'l01' }],
        [`/api/orgs/${org.name}/tokens`, { name: uniqueName('l01'), admin: true }],
        [`/api/orgs/${org.name}/teams/${team.name}/tokens`, { name: uniqueName('l01') }],
        ['/api/user/tokens', { description: 'l01 expiring', expires: h.clock.nowSec() + 60 }],
      ] as const) {
        const res = await call(h, 'POST', url, { token: admin.token, body });
        assert.equal(res.statusCode, 200, res.body);
        const { id, tokenValue } = res.json() as { id: string; tokenValue: string };
        created.push({ id, tokenValue, url });
        issued.push(tokenValue);
      }
      for (const v of issued) for (const s of secretPartsOf(v)) secrets.add(s);

      const start = h.clock.now();
      const linesBefore = h.logs.lines.length;
      let requests = 0;
      const send = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: string | object) => {
        requests++;
        return h.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
      };
      try {
        for (const v of issued) {
          const broken = v.slice(0, -1) + (v.endsWith('A') ? 'B' : 'A');
          await send('GET', '/api/user', { authorization: `token ${v}` });
          await send('GET', '/api/user', { authorization: `Bearer ${v}` });
          await send('GET', '/api/user', { authorization: `token ${broken}` });
          await send('GET', '/api/user', { authorization: `Basic ${Buffer.from(`user:${v}`).toString('base64')}` });
          await send('GET', '/api/user', { authorization: v });
          await send('GET', `/api/user?access_token=${v}`);
          await send('GET', `/api/user?token=${v}`, { authorization: `token ${v}` });
          await send('GET', `/api/user/tokens?filter=all&access_token=${v}`, { authorization: `token ${v}` });
          await send('GET', `/%61pi/user?token=${v}`, { authorization: `token ${v}` });
          await send('GET', `/healthz?access_token=${v}`);
          await send('GET', `/api/openapi.json?token=${v}`);
          await send('GET', `/no/such/route?token=${v}`);
          await send('GET', '/api/user', { 'x-api-key': v, cookie: `token=${v}`, 'user-agent': `ci ${v}`, 'x-forwarded-for': v });
          // Secrets in bodies: refused fields, a malformed JSON document, an oversized body.
          await send('POST', '/api/user/tokens', { authorization: `token ${admin.token}` }, { tokenValue: v });
          await send('POST', '/api/user/tokens', { authorization: `token ${admin.token}`, 'content-type': 'application/json' }, `{"description":"${v}`);
          await send('POST', '/api/user/tokens', { authorization: `token ${admin.token}`, 'content-type': 'application/json' }, `{"expires":"${v}"}`);
          await send('POST', '/api/user/tokens', { authorization: `token ${admin.token}`, 'content-type': 'text/plain' }, v);
          await send('POST', `/api/orgs/${org.name}/tokens`, { authorization: `token ${admin.token}` }, { name: v });
          await send('POST', '/api/user/tokens', { authorization: `token ${admin.token}` }, { description: `${v}${'z'.repeat(70 * 1024)}` });
          await send('PUT', `/api/orgs/${org.name}/members/${admin.user.login}`, { authorization: `token ${admin.token}` }, { role: v });
        }
        // Revoked and expired tokens take other code paths (audit events, specific messages).
        for (const c of created.slice(0, 3)) {
          const del = await call(h, 'DELETE', `${c.url}/${c.id}`, { token: admin.token });
          assert.equal(del.statusCode, 204, del.body);
          await send('GET', '/api/user', { authorization: `token ${c.tokenValue}` });
        }
        h.clock.advance(3600 * 1000);
        await send('GET', '/api/user', { authorization: `token ${created[3]!.tokenValue}` });
      } finally {
        h.clock.set(start);
      }

      // The run logged: one 'request' line per request at least, so the search below is not vacuous.
      const lines = h.logs.lines.slice(linesBefore);
      const requestLines = lines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === 'request');
      assert.ok(requestLines.length >= requests, `${requestLines.length} request lines for ${requests} requests`);
      assert.deepEqual(leaks(h.logs.lines, secrets), []);
      // Paths are logged, query strings never.
      for (const l of requestLines) assert.ok(!(JSON.parse(l) as { path: string }).path.includes('?'));
    });

    it('L01: a token value sent by mistake as a path segment is not logged', async () => {
      // Its own harness, so this test's assertion is the one that reports a leak.
      const p = await startHarness(kind);
      try {
        const { token } = await makePerson(p);
        // A realistic slip: deleting "the token" by its value instead of its id.
        const res = await call(p, 'DELETE', `/api/user/tokens/${token}`, { token });
        assert.equal(res.statusCode, 404);
        assert.deepEqual(leaks(p.logs.lines, secretPartsOf(token)), []);
      } finally {
        p.secrets.clear(); // asserted explicitly above
        await p.close();
      }
    });

    it('L01: at trace level, a request the HTTP parser refuses does not put its Authorization header in the log', async () => {
      const { token } = await makePerson(h);
      const logs = new LogCapture();
      const app = await buildApp(h.deps, { logger: pino({ level: 'trace' }, logs), version: VERSION });
      try {
        const port = await listenOnLoopback(app);
        await rawRequest(port, `GET /api/user HTTP/1.1\r\nHost: x\r\nAuthorization: token ${token}\r\nX-Bad: a\x00b\r\n\r\n`);
      } finally {
        await app.close();
      }
      assert.ok(logs.lines.length > 0);
      assert.deepEqual(leaks(logs.lines, secretPartsOf(token)), []);
    });

    it("L01: a real server process's output holds no token or password after requests with tokens in headers and query strings", async () => {
      const db = await createTestDatabase(kind);
      const secrets = new Set<string>();
      let serverOutput = '';
      try {
        // Fixtures written straight to the database the server will open.
        const services = await openServices({ databaseUrl: db.url, maxTokenLifetimeSeconds: 2 * 365 * 86400, requireTokenExpiry: false });
        let value: string;
        try {
          const password = `pw-${randomBytes(12).toString('base64url')}`;
          secrets.add(password);
          const user = await createUser(services.deps, NO_REQUEST, SYSTEM, { login: uniqueName('proc'), email: 'proc@example.com', password });
          const issued = await issueToken(services.deps, NO_REQUEST, { kind: 'user', user, token: null }, { type: 'personal' }, { source: 'api' });
          value = issued.tokenValue;
        } finally {
          await services.close();
        }
        for (const s of secretPartsOf(value)) secrets.add(s);

        // debug: more lines to search than the default level, so more chances to catch a leak.
        const srv = await startServer(db.url, { TESSERA_LOG_LEVEL: 'debug' });
        let requests = 0;
        try {
          const get = async (path: string, headers: Record<string, string> = {}) => {
            requests++;
            const res = await fetch(`${srv.url}${path}`, { headers });
            await res.arrayBuffer();
            return res.status;
          };
          assert.equal(await get('/api/user', { authorization: `token ${value}` }), 200);
          assert.equal(await get('/api/user', { authorization: `Bearer ${value}` }), 200);
          assert.equal(await get(`/api/user?access_token=${value}`), 400);
          assert.equal(await get(`/api/user?token=${value}`, { authorization: `token ${value}` }), 400);
          assert.equal(await get(`/api/user/tokens?access_token=${value}`, { authorization: `token ${value}` }), 400);
          assert.equal(await get(`/%61pi/user?token=${value}`, { authorization: `token ${value}` }), 400);
          // Refused on every route, not only the authenticated ones.
          assert.equal(await get(`/healthz?access_token=${value}`), 400);
          assert.equal(await get(`/no/such/route?token=${value}`), 400);
          assert.equal(await get('/api/user', { authorization: `token ${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}` }), 401);
          assert.equal(await get('/api/user', { authorization: `Basic ${Buffer.from(`user:${value}`).toString('base64')}` }), 401);

          // A token created through the API, used, revoked, and used again.
          requests++;
          const created = await fetch(`${srv.url}/api/user/tokens`, {
            method: 'POST',
            headers: { authorization: `token ${value}`, 'content-type': 'application/json' },
            body: JSON.stringify({ description: 'l01 process' }),
          });
          assert.equal(created.status, 200);
          const { id, tokenValue } = (await created.json()) as { id: string; tokenValue: string };
          for (const s of secretPartsOf(tokenValue)) secrets.add(s);
          assert.equal(await get('/api/user', { authorization: `token ${tokenValue}` }), 200);
          requests++;
          const del = await fetch(`${srv.url}/api/user/tokens/${id}`, { method: 'DELETE', headers: { authorization: `token ${value}` } });
          assert.equal(del.status, 204);
          assert.equal(await get('/api/user', { authorization: `token ${tokenValue}` }), 401);
          assert.equal(await get(`/api/user?token=${tokenValue}`), 400);
        } finally {
          assert.equal(await srv.stop(), 0, 'the server stops cleanly');
          serverOutput = srv.output();
        }
        const lines = serverOutput.split('\n').filter(Boolean);
        const requestLines = lines.filter((l) => l.includes('"msg":"request"'));
        assert.ok(requestLines.length >= requests, `${requestLines.length} request lines for ${requests} requests:\n${serverOutput.slice(0, 500)}`);
        assert.deepEqual(leaks(lines, secrets), []);
      } finally {
        await db.drop();
      }
    });
  });
}
