// Measures the console: the initial JavaScript transfer size (gzip) of the built files, and the time
// from navigation to the personal token list being visible in headless Chromium against a local
// Tessera (fresh SQLite database) with 1,000 tokens in the list's scope.
//   npm run build && npm run build:web && node web/scripts/measure.mjs
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEB = path.join(ROOT, 'dist', 'web');

// 1. Initial JS: every script index.html loads (module entry and modulepreloads), gzip level 9.
const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
let gz = 0;
for (const s of scripts) gz += zlib.gzipSync(fs.readFileSync(path.join(WEB, s)), { level: 9 }).length;
console.log(`initial JavaScript: ${scripts.length} file(s), ${(gz / 1024).toFixed(1)} KiB gzip`);

// 2. Time to the token list with 1,000 tokens.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-measure-'));
const db = `sqlite:${path.join(dir, 'tessera.db')}`;
const bin = path.join(ROOT, 'bin', 'tessera');
const password = 'measure-password-123';
const created = spawnSync(process.execPath, [bin, 'admin', 'create-user', 'alice', '--email', 'alice@example.com', '--site-admin', '--password-stdin', '--token'], {
  input: password + '\n',
  env: { ...process.env, TESSERA_DATABASE_URL: db },
  encoding: 'utf8',
});
if (created.status !== 0) throw new Error(created.stderr);
const token = created.stdout.trim();
const port = 18000 + Math.floor(Math.random() * 1000);
const server = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--database', db], { env: { ...process.env, TESSERA_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
const url = `http://127.0.0.1:${port}`;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {}
    if (i > 200) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const expires = Math.floor(Date.now() / 1000) + 30 * 86400;
  for (let i = 0; i < 1000; i += 20) {
    await Promise.all(
      Array.from({ length: 20 }, (_, j) =>
        fetch(`${url}/api/user/tokens`, {
          method: 'POST',
          headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ description: `token ${i + j}`, expires }),
        }).then((r) => {
          if (!r.ok) throw new Error(`create: ${r.status}`);
        }),
      ),
    );
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Login', { exact: true }).fill('alice');
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Personal tokens', exact: true }).waitFor();
  const storageState = await context.storageState();
  const measure = async (cold) => {
    const times = [];
    for (let run = 0; run < 5; run++) {
      // Cold: a new browser context (empty HTTP cache) holding the session cookie. Warm: a new page
      // in the same context, as for a returning user whose cache holds the fingerprinted assets.
      const ctx = cold ? await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 900 }, storageState }) : context;
      const p = await ctx.newPage();
      const t0 = Date.now();
      await p.goto('/tokens');
      await p.getByRole('row').filter({ hasText: 'token ' }).first().waitFor();
      times.push(Date.now() - t0);
      await p.close();
      if (cold) await ctx.close();
    }
    times.sort((a, b) => a - b);
    console.log(`navigation → token list visible, ${cold ? 'cold cache' : 'warm cache'} (1,000 tokens, first page of 50): median ${times[2]} ms (min ${times[0]}, max ${times[4]})`);
  };
  await measure(true);
  await measure(false);
  await browser.close();
} finally {
  server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
