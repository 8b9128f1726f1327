import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { ServerPool, inspect, seedPerson, withServices, type SeededPerson } from './support/fault-db.js';
import { describeOutcome, send, sendInTwoParts, sleep, type Outcome } from './support/fault-http.js';
import { BIN } from './support/server-process.js';

// Catalog F18 (SIGTERM during load) and F20 (bad configuration), and the requirement that
// `tessera serve` stops cleanly on SIGTERM: in-flight requests finish, pending writes are flushed,
// exit code 0.

/** Concurrent POSTs in the burst: enough that SIGTERM lands while the server is working through them. */
const BURST = 120;

for (const kind of databaseKinds()) {
  describe(`shutdown (${kind})`, () => {
    const pool = new ServerPool();
    let db: TestDatabase;
    let person: SeededPerson;
    let auth: string;
    let lister: string;
    /** The burst of the first test and when SIGTERM was sent, for the check that none was reset. */
    let burstOutcomes: Outcome[] = [];
    let termAt = 0;

    before(async () => {
      db = await createTestDatabase(kind);
      person = await withServices(db.url, (s) => seedPerson(s, 3));
      auth = person.tokens[0]!.value;
      lister = person.tokens[1]!.value;
    });

    after(async () => {
      await pool.killAll();
      await db.drop();
    });

    it('F18: SIGTERM during a burst of POST /api/user/tokens: in-flight requests finish, later ones are refused cleanly, exit 0, no acknowledged write lost', async (t) => {
      const server = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      // A request the server is certainly processing: headers and half the body are in, the rest
      // comes after SIGTERM.
      const slow = sendInTwoParts(server.url, 'POST', '/api/user/tokens', { token: auth, body: { description: 'in flight across SIGTERM' } });
      await sleep(100); // long enough for its headers to be routed
      const burst: Array<Promise<Outcome>> = [];
      for (let i = 0; i < BURST; i++) burst.push(send(server.url, 'POST', '/api/user/tokens', { token: auth, body: { description: `burst ${i}` } }));
      // Signal as soon as the server is visibly working through the burst.
      await Promise.race(burst);
      server.child.kill('SIGTERM');
      termAt = performance.now();

      // Requests sent after the signal, one after another until the listener is gone.
      const late: Outcome[] = [];
      const lateDeadline = Date.now() + 10_000;
      while (Date.now() < lateDeadline && late.length < 500) {
        const o = await send(server.url, 'POST', '/api/user/tokens', { token: auth, body: { description: 'after SIGTERM' } });
        late.push(o);
        if (o.error === 'ECONNREFUSED') break;
        await sleep(10);
      }
      const slowOutcome = await slow.finish();
      burstOutcomes = await Promise.all(burst);
      const code = await server.exited;

      const summary = new Map<string, number>();
      const count = (k: string) => summary.set(k, (summary.get(k) ?? 0) + 1);
      for (const o of burstOutcomes) {
        count(`${o.sent !== undefined && o.sent < termAt ? 'sent' : 'unsent'} ${o.status ?? o.error}`);
        if (o.status === 200 && o.end > termAt) count('200 after SIGTERM');
      }
      for (const o of late) count(`late ${o.status ?? o.error}`);
      t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(summary))}`);
      assert.equal(code, 0, `exit code after SIGTERM\n${server.output().slice(-2000)}`);
      assert.equal(slowOutcome.status, 200, `the request in flight across SIGTERM must finish: ${describeOutcome(slowOutcome)}`);
      // Sent before the signal: answered 200, or 503 if routing had not begun. The next test
      // checks that none was reset. Never another status, a timeout or a half-sent response.
      for (const o of burstOutcomes) {
        const clean = o.status === 200 || o.status === 503 || o.error === 'ECONNRESET' || o.error === 'EPIPE';
        assert.ok(clean, `a request sent before SIGTERM ended badly: ${describeOutcome(o)}`);
      }
      for (const o of late) {
        const clean = o.status === 200 || o.status === 503 || o.error === 'ECONNREFUSED' || o.error === 'ECONNRESET';
        assert.ok(clean, `a request sent after SIGTERM must be answered or refused cleanly: ${describeOutcome(o)}`);
      }
      assert.equal(late.at(-1)?.error, 'ECONNREFUSED', 'the listener closes after SIGTERM');
      const answered = [slowOutcome, ...burstOutcomes, ...late].filter((o) => o.status === 200);
      for (const o of answered) assert.match(String(o.json?.tokenValue), /^tsrp_/);
      const created = answered.map((o) => o.json.tokenValue as string);

      // Every acknowledged token is there after a restart, and nothing was written that the
      // client did not hear about.
      let stopCode: number | null = null;
      const again = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      try {
        const checks = await Promise.all(created.map((v) => send(again.url, 'GET', '/api/user', { token: v })));
        for (const c of checks) assert.equal(c.status, 200, `an acknowledged token must authenticate after restart: ${describeOutcome(c)}`);
        const list = await send(again.url, 'GET', '/api/user/tokens?filter=all&maxResults=1000', { token: lister });
        assert.equal(list.status, 200, describeOutcome(list));
        // Nothing was written that the client did not hear about: a reset request was not carried out.
        const written = (list.json.tokens as Array<{ description: string }>).filter((x) => !x.description.startsWith('seed'));
        assert.equal(written.length, created.length, 'token rows written during the test = 200 responses received');
      } finally {
        stopCode = await again.stop();
      }
      assert.equal(stopCode, 0, 'the restarted server stops cleanly too');
    });

    it(
      'F18: no request the client had completely sent before SIGTERM is cut off without an answer',
      () => {
        const sentBefore = burstOutcomes.filter((o) => o.sent !== undefined && o.sent < termAt);
        assert.ok(sentBefore.length > 0);
        const cut = sentBefore.filter((o) => o.status === undefined);
        assert.equal(cut.length, 0, `${cut.length} of ${sentBefore.length} requests sent before SIGTERM were reset: ${[...new Set(cut.map((o) => o.error))].join(', ')}`);
      },
    );

    it('F18: lastUsed noted just before SIGTERM is written to the database', async () => {
      const used = person.tokens[2]!;
      const server = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      const before = Math.floor(Date.now() / 1000);
      const me = await send(server.url, 'GET', '/api/user', { token: used.value });
      assert.equal(me.status, 200, describeOutcome(me));
      // No periodic flush has run yet (the interval is 15 s); only the shutdown flush can save it.
      assert.equal(await server.stop(), 0, server.output().slice(-2000));
      const afterStop = Math.ceil(Date.now() / 1000);

      let stopCode: number | null = null;
      const again = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      try {
        const list = await send(again.url, 'GET', '/api/user/tokens?filter=all&maxResults=1000', { token: lister });
        assert.equal(list.status, 200, describeOutcome(list));
        const row = (list.json.tokens as Array<{ id: string; lastUsed: number }>).find((x) => x.id === used.id);
        assert.ok(row, 'the used token is listed');
        assert.ok(row.lastUsed >= before && row.lastUsed <= afterStop, `lastUsed ${row.lastUsed} should lie in [${before}, ${afterStop}]`);
      } finally {
        stopCode = await again.stop();
      }
      assert.equal(stopCode, 0);
      // And it is in the table itself, not only in a process's memory.
      const inspector = await inspect(db);
      try {
        const rows = await inspector.rows<{ last_used: number | string }>(`select last_used from tokens where id = '${used.id}'`);
        assert.ok(Number(rows[0]?.last_used) >= before, `stored last_used ${rows[0]?.last_used}`);
        const integrity = await inspector.integrityCheck();
        if (integrity !== undefined) assert.equal(integrity, 'ok');
      } finally {
        await inspector.close();
      }
    });

    // A request whose headers are still arriving when SIGTERM lands: the server is closing by the
    // time it can route it, so it must refuse it with 503 rather than drop the connection.
    let closingReply = '';
    it('F18: a request routed while the server is closing gets 503 with Connection: close, and the process exits 0', async () => {
      // Info level: the test waits for the 'shutting down' line before completing the request.
      const server = await pool.start(db.url, { TESSERA_LOG_LEVEL: 'info' });
      const socket = net.connect(server.port, '127.0.0.1');
      let reply = '';
      socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      const ended = new Promise<void>((resolve) => {
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      // Half the head now (so the connection is not idle), the rest after the signal.
      socket.write('GET /api/user HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await sleep(100);
      server.child.kill('SIGTERM');
      for (const until = Date.now() + 5000; !server.output().includes('shutting down') && Date.now() < until; ) await sleep(10);
      assert.match(server.output(), /shutting down/);
      await sleep(20);
      socket.write(`Authorization: token ${auth}\r\n\r\n`);
      await Promise.race([ended, sleep(5000)]);
      socket.destroy();
      closingReply = reply;
      assert.equal(await server.exited, 0);
      assert.match(reply, /^HTTP\/1\.1 503 /, `reply: ${JSON.stringify(reply.slice(0, 300))}`);
      assert.match(reply, /\r\nconnection: close\r\n/i);
    });

    it(
      'F18: the 503 sent while closing has the REST error body, X-Request-Id and Retry-After (API.md section 1)',
      () => {
        const [head = '', body = ''] = closingReply.split('\r\n\r\n');
        assert.match(head, /\r\nx-request-id: \S+/i, 'every response carries X-Request-Id');
        assert.match(head, /\r\nretry-after: \d+/i, '503 answers carry Retry-After');
        const json = JSON.parse(body) as { code?: number; message?: string; reason?: string; requestId?: string };
        assert.equal(json.code, 503);
        assert.equal(typeof json.message, 'string');
        assert.equal(typeof json.reason, 'string');
        assert.equal(typeof json.requestId, 'string');
      },
    );
  });
}

/** Runs `tessera serve` with only the given TESSERA_* variables and returns how it ended. */
async function serveWith(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-config-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TESSERA_')));
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

describe('startup configuration (F20)', () => {
  it('F20: TESSERA_PORT=abc makes serve exit 2 naming the variable', async () => {
    const r = await serveWith({ TESSERA_PORT: 'abc', TESSERA_DATABASE_URL: 'sqlite:db/t.db' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /TESSERA_PORT/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  it('F20: TESSERA_DATABASE_URL=mysql://x makes serve exit 2 naming the variable', async () => {
    const r = await serveWith({ TESSERA_DATABASE_URL: 'mysql://x', TESSERA_PORT: '0' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /TESSERA_DATABASE_URL/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  it('F20: every bad variable is reported at once, and a flag is checked like its variable', async () => {
    const r = await serveWith({ TESSERA_DATABASE_URL: 'mysql://x', TESSERA_LOG_LEVEL: 'loud', TESSERA_MAX_TOKEN_LIFETIME: 'forever' }, ['--port', '70000']);
    assert.equal(r.code, 2, r.stderr);
    for (const name of ['TESSERA_DATABASE_URL', 'TESSERA_PORT', 'TESSERA_LOG_LEVEL', 'TESSERA_MAX_TOKEN_LIFETIME']) assert.match(r.stderr, new RegExp(name));
  });

  it('F20: a database that cannot be opened makes serve exit non-zero without listening', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-config-'));
    try {
      const file = path.join(dir, 'not-a-directory');
      fs.writeFileSync(file, 'x');
      const r = await serveWith({ TESSERA_DATABASE_URL: `sqlite:${file}/tessera.db`, TESSERA_PORT: '0' });
      assert.notEqual(r.code, 0, r.stderr);
      assert.ok(r.code !== null, 'exited by itself');
      assert.doesNotMatch(r.stdout, /listening/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('F20: an unreachable PostgreSQL makes serve exit non-zero without listening', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const r = await serveWith({ TESSERA_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', TESSERA_PORT: '0' });
    assert.notEqual(r.code, 0, r.stderr);
    assert.ok(r.code !== null, 'exited by itself');
    assert.doesNotMatch(r.stdout, /listening/);
  });
});
