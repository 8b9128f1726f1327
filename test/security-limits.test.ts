import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from './support/databases.js';
import { listenOnLoopback, rawJson, rawRequest } from './support/raw-http.js';
import { call, expectError, makeOrg, makePerson, makeTeam, startHarness, type Harness } from './support/harness.js';

const getUser = (token: string) => `GET /api/user HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token ${token}\r\nConnection: close\r\n\r\n`;

async function countTokens(h: Harness): Promise<number> {
  return (await h.services.database.db.selectFrom('tokens').select('id').execute()).length;
}

const LIMIT = 64 * 1024;

for (const kind of databaseKinds()) {
  describe(`security: request limits D01-D02 (${kind})`, () => {
    let h: Harness;
    let port: number;

    before(async () => {
      // Short socket timeouts so slow clients are cut off within a second or two.
      h = await startHarness(kind, { timeouts: { requestMs: 1000, headersMs: 500, checkIntervalMs: 100 } });
      port = await listenOnLoopback(h.app);
    });
    after(async () => h.close());

    it('D01: a body over 64 KiB is 413 in the REST error shape on every write route, and nothing is created', async () => {
      const admin = await makePerson(h);
      const org = await makeOrg(h, admin.user);
      const team = await makeTeam(h, org);
      const before = await countTokens(h);
      const big = 'x'.repeat(LIMIT + 1024);
      const routes: Array<['POST' | 'PUT', string, object]> = [
        ['POST', '/api/user/tokens', { description: big }],
        ['POST', `/api/orgs/${org.name}/tokens`, { name: 'big', description: big }],
        ['POST', `/api/orgs/${org.name}/teams/${team.name}/tokens`, { name: 'big', description: big }],
        ['POST', `/api/orgs/${org.name}/teams`, { name: 'big', description: big }],
        ['PUT', `/api/orgs/${org.name}/members/${admin.user.login}`, { role: big }],
        ['POST', '/api/orgs', { name: big }],
      ];
      for (const [method, url, body] of routes) {
        const res = await call(h, method, url, { token: admin.token, body });
        const err = expectError(res, 413, 'body_too_large');
        assert.deepEqual(Object.keys(res.json() as object).sort(), ['code', 'message', 'reason', 'requestId']);
        assert.ok(!res.body.includes('xxxxxxxx'), 'the body is not echoed');
        assert.ok(err.message.length < 200);
      }
      // The limit is 64 KiB, not something smaller: just under it the body is read and validated.
      const under = await call(h, 'POST', '/api/user/tokens', { token: admin.token, body: { description: 'x'.repeat(LIMIT - 100) } });
      expectError(under, 400, 'invalid_request');
      // Without credentials the body is never read: the caller learns only that it must authenticate.
      expectError(await call(h, 'POST', '/api/user/tokens', { body: { description: big } }), 401, 'token_missing');
      assert.equal(await countTokens(h), before);
    });

    it('D01: over a socket, a declared Content-Length over the limit is refused at once, and a chunked body is cut off at the limit', async () => {
      const { token } = await makePerson(h);
      const before = await countTokens(h);
      const head = (extra: string) =>
        `POST /api/user/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token ${token}\r\nContent-Type: application/json\r\nConnection: close\r\n${extra}\r\n`;
      // Declares 10 MiB and sends nothing: the server must not wait for (or buffer) the body.
      const declared = await rawRequest(port, head(`Content-Length: ${10 * 1024 * 1024}\r\n`), { timeoutMs: 5000 });
      assert.equal(declared.status, 413, declared.text.slice(0, 300));
      assert.ok(declared.ms < 900, `refused after ${declared.ms} ms, before the request timeout`);
      assert.equal(rawJson(declared)?.reason, 'body_too_large');

      // Chunked, no length declared: 128 KiB in 8 KiB chunks.
      const chunk = 'x'.repeat(8 * 1024);
      let body = '{"description":"';
      for (let i = 0; i < 16; i++) body += chunk;
      body += '"}';
      let chunked = '';
      for (let i = 0; i < body.length; i += 8192) {
        const part = body.slice(i, i + 8192);
        chunked += `${part.length.toString(16)}\r\n${part}\r\n`;
      }
      chunked += '0\r\n\r\n';
      const r = await rawRequest(port, head('Transfer-Encoding: chunked\r\n') + chunked, { timeoutMs: 5000 });
      assert.equal(r.status, 413, r.text.slice(0, 300));
      assert.equal(rawJson(r)?.reason, 'body_too_large');
      assert.equal(await countTokens(h), before);
      // Still serving.
      assert.equal((await rawRequest(port, getUser(token), { timeoutMs: 5000 })).status, 200);
    });

    it('D02: slowloris headers: connections that never finish their headers are closed within a bounded time; other clients are served meanwhile', async () => {
      const { token } = await makePerson(h);
      let n = 0;
      // 20 connections, each sending one more header line every 100 ms and never the blank line.
      const slow = Array.from({ length: 20 }, () =>
        rawRequest(port, 'GET /api/user HTTP/1.1\r\nHost: 127.0.0.1\r\n', { drip: () => `X-Slow-${n++}: a\r\n`, everyMs: 100, timeoutMs: 8000 }),
      );
      // An idle connection that sends nothing at all, and one that stops mid-line.
      const idle = rawRequest(port, '', { timeoutMs: 8000 });
      const partial = rawRequest(port, 'GET /api/us', { timeoutMs: 8000 });

      // Meanwhile, normal clients are served promptly.
      await new Promise((r) => setTimeout(r, 150));
      for (let i = 0; i < 10; i++) {
        const ok = await rawRequest(port, getUser(token), { timeoutMs: 3000 });
        assert.equal(ok.status, 200, `a normal client was not served while slow clients were connected: ${ok.text.slice(0, 120)}`);
        assert.ok(ok.ms < 1000);
      }

      for (const r of [...(await Promise.all(slow)), await idle, await partial]) {
        assert.ok(r.closedByServer, 'the server must close a connection whose headers never arrive');
        // headersTimeout is 500 ms, checked every 100 ms: a few seconds is a generous bound.
        assert.ok(r.ms < 3000, `closed after ${r.ms} ms`);
        if (r.status !== undefined) assert.equal(r.status, 408);
      }
      assert.equal((await rawRequest(port, getUser(token), { timeoutMs: 3000 })).status, 200);
    });

    it('D02: a slow body is cut off by the request timeout, nothing is created, and the server keeps serving', async () => {
      const { token } = await makePerson(h);
      const before = await countTokens(h);
      const body = JSON.stringify({ description: 'y'.repeat(900) });
      let sent = 0;
      const head = `POST /api/user/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      // 10 bytes every 100 ms: the whole body would take ~9 s; the request timeout is 1 s.
      const r = await rawRequest(port, head, {
        drip: () => {
          const part = body.slice(sent, sent + 10);
          sent += part.length;
          return part;
        },
        everyMs: 100,
        timeoutMs: 8000,
      });
      assert.ok(r.closedByServer, 'the server must close a connection whose body never completes');
      assert.ok(r.ms < 4000, `closed after ${r.ms} ms`);
      assert.ok(sent < body.length, 'the body was not sent in full');
      if (r.status !== undefined) assert.equal(r.status, 408);
      assert.equal(await countTokens(h), before, 'nothing was created from a partial body');
      assert.equal((await rawRequest(port, getUser(token), { timeoutMs: 3000 })).status, 200);
    });
  });
}
