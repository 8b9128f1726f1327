import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fs from 'node:fs';
import { CHROMIUM, launchBrowser } from './support/browser.js';
import { databaseKinds } from './support/databases.js';
import { makePerson } from './support/harness.js';
import { startLive, type LiveHarness } from './support/live.js';

// Catalog D03 (hostile Content-Type), a client aborting an upload (logged as the client leaving,
// never as "database unavailable"), and the reference page /docs under a Content-Security-Policy.

for (const kind of databaseKinds()) {
  describe(`request inputs (${kind})`, () => {
    let h: LiveHarness;
    let person: Awaited<ReturnType<typeof makePerson>>;
    before(async () => {
      h = await startLive(kind);
      person = await makePerson(h);
    });
    after(async () => h.close());

    const tokenCount = async () => (await h.http('GET', '/api/user/tokens?filter=all', { token: person.token })).json.tokens.length as number;

    it('D03: a Content-Type containing __proto__ or constructor is 415 (400 at the token endpoint), the process alive and nothing created', async () => {
      const before = await tokenCount();
      const types = [
        '__proto__',
        'constructor',
        'prototype',
        '__proto__/json',
        'application/__proto__',
        'application/json; __proto__=x',
        'application/json; charset=utf-8; constructor=1',
        'application/json;__proto__',
        'Application/JSON; Constructor',
        'application/x-www-form-urlencoded; __proto__=1',
        'hasOwnProperty',
        'toString',
      ];
      for (const type of types) {
        const r = await h.http('POST', '/api/user/tokens', { token: person.token, body: '{"description":"x"}', headers: { 'content-type': type } });
        assert.equal(r.status, 415, `${type}: ${r.status} ${r.text}`);
        assert.equal(r.json.code, 415);
        assert.equal(r.json.reason, 'unsupported_media_type');
        const oauth = await h.http('POST', '/api/oauth/token', { body: 'grant_type=x', headers: { 'content-type': type } });
        assert.equal(oauth.status, 400, `${type}: ${oauth.text}`);
        assert.equal(oauth.json.error, 'invalid_request');
        const anonymous = await h.http('POST', '/api/session', { body: '{"login":"a","password":"b"}', headers: { 'content-type': type } });
        assert.equal(anonymous.status, 415, `${type} at sign-in: ${anonymous.text}`);
      }
      // Alive, and answering as usual.
      assert.equal(await tokenCount(), before, 'nothing was created');
      const ok = await h.http('POST', '/api/user/tokens', { token: person.token, body: { description: 'after' } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await h.http('GET', '/healthz')).status, 200);
      assert.ok(!h.logs.text().includes('"level":50'), 'no error was logged');
    });

    it('a client aborting an upload is logged as a client abort, not as "database unavailable"', async () => {
      const lines = h.logs.lines.length;
      for (const path of ['/api/user/tokens', '/api/oauth/token', '/api/session']) {
        const socket = net.connect(h.port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token ${person.token}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"description":"`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        socket.destroy();
      }
      const deadline = Date.now() + 3000;
      const aborts = () => h.logs.lines.slice(lines).filter((l) => l.includes('client aborted the request')).length;
      while (aborts() < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const logged = h.logs.lines.slice(lines);
      assert.equal(aborts(), 3, logged.join('\n'));
      assert.ok(!logged.some((l) => l.includes('database unavailable')), 'not blamed on the database');
      assert.ok(!logged.some((l) => /"level":(40|50)/.test(l)), 'neither a warning nor an error');
      assert.equal((await h.http('GET', '/readyz')).status, 200);
    });
  });
}

// Only Chromium is needed: the reference page is served by the API, not by the built console.
const noBrowser = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing`;
describe('/docs under a Content-Security-Policy', () => {
  let h: LiveHarness;
  before(async () => {
    h = await startLive('sqlite');
  });
  after(async () => h.close());

  it('/docs carries a CSP with frame-ancestors none', async () => {
    for (const path of ['/docs', '/docs/', '/docs/static/index.html']) {
      const r = await h.http('GET', path);
      if (r.status >= 300 && r.status < 400) continue;
      assert.equal(r.status, 200, `${path}: ${r.status}`);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /script-src 'self'/, path);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/, path);
    }
  });

  it('Swagger UI loads and renders the API under that policy in Chromium, with no CSP violation', { skip: noBrowser }, async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
      });
      page.on('pageerror', (e) => violations.push(e.message));
      await page.goto(`${h.base}/docs/`, { waitUntil: 'networkidle' });
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
      assert.match((await page.textContent('.swagger-ui .info .title')) ?? '', /Tessera API/);
      await page.waitForSelector('.opblock-tag', { timeout: 15_000 });
      assert.ok((await page.locator('.opblock').count()) > 10, 'the operations are listed');
      assert.deepEqual(violations, []);
      // Framed by another page: the browser refuses to render it.
      const framer = await browser.newPage();
      const blocked: string[] = [];
      framer.on('console', (m) => blocked.push(m.text()));
      await framer.setContent(`<iframe src="${h.base}/docs/" width="800" height="600"></iframe>`);
      await framer.waitForTimeout(1500);
      const frame = framer.frames().find((f) => f.url().includes('/docs'));
      const framedTitle = frame ? await frame.$('.swagger-ui .info .title').catch(() => null) : null;
      assert.equal(framedTitle, null, 'the reference does not render inside a frame');
    } finally {
      await browser.close();
    }
  });
});
