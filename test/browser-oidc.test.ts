// The console's OIDC pages in headless Chromium against a real Tessera process that may register
// loopback issuers, with oauth2-mock-server as the issuer: register it, write a policy in the form
// and as JSON, dry-run pasted tokens against the draft, save, exchange a token from the test and
// find the attempt and the minted token in the console. Every page and dialog is checked with axe-core.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { importJWK, SignJWT } from 'jose';
import type { OAuth2Server } from 'oauth2-mock-server';
import type { Browser, Page } from 'playwright-core';
import { browserUnavailable, checkA11y, launchBrowser, screenshot } from './support/browser.js';
import { createTestDatabase, databaseKinds, type DatabaseKind, type TestDatabase } from './support/databases.js';
import { startMockIssuer } from './support/issuers.js';
import { BIN, startServer, type ServerProcess } from './support/server-process.js';

const missing = browserUnavailable();
if (missing && process.env.CI) {
  // In CI the browser suites are required: .ci/run installs Chromium.
  describe('OIDC console in Chromium', () => {
    it('needs Chromium and the built console', () => assert.fail(`browser suite cannot run in CI: ${missing}`));
  });
} else if (missing) {
  console.log(`# OIDC browser suite skipped: ${missing}`);
  describe('OIDC console in Chromium', () => {
    it('skipped', { skip: missing }, () => {});
  });
} else {
  for (const kind of databaseKinds()) suite(kind);
}

const ALICE = { login: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' };
const BOB = { login: 'bob', email: 'bob@example.com', password: 'another long passphrase 42' };
const ORG = 'acme';
const MAIN = 'repo:acme/app:ref:refs/heads/main';
const EVIL = 'repo:acme/app:ref:refs/heads/evil';

function suite(kind: DatabaseKind): void {
  describe(`OIDC console in Chromium (${kind})`, { timeout: 180_000 }, () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let mock: OAuth2Server;
    let issuerUrl: string;
    let adminToken: string;
    let browser: Browser;
    let page: Page;
    /** ID tokens made here; none may reach the server's logs. */
    const jwts: string[] = [];

    const heading = (name: string) => page.getByRole('heading', { name, exact: true });
    const nav = (name: string) => page.getByRole('navigation').getByRole('link', { name, exact: true });
    const policy = (n: number) => page.getByRole('group', { name: `Policy ${n}`, exact: true });
    const shot = (name: string) => screenshot(page, `oidc-${kind}-${name}`);

    /** An ID token from the mock issuer for the organization, valid for five minutes. */
    async function idToken(sub: string): Promise<string> {
      const jwk = mock.issuer.keys.toJSON(true)[0]!;
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({ sub, repository: 'acme/app', repository_owner: 'acme', ref: sub.split(':ref:')[1] })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' })
        .setIssuer(issuerUrl)
        .setAudience(`urn:pulumi:org:${ORG}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .setJti(randomUUID())
        .sign(await importJWK(jwk, 'RS256'));
      jwts.push(jwt);
      return jwt;
    }

    async function apiCall(method: string, path: string, body?: unknown): Promise<Response> {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { Authorization: `token ${adminToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return res;
    }

    before(async () => {
      db = await createTestDatabase(kind);
      mock = await startMockIssuer();
      // The mock names itself http://localhost:<port>; 127.0.0.1 is where it listens, whatever localhost resolves to.
      issuerUrl = `http://127.0.0.1:${new URL(mock.issuer.url!).port}`;
      mock.issuer.url = issuerUrl;

      const created = spawnSync(process.execPath, [BIN, 'admin', 'create-user', ALICE.login, '--email', ALICE.email, '--site-admin', '--password-stdin', '--token'], {
        input: ALICE.password + '\n',
        env: { ...process.env, TESSERA_DATABASE_URL: db.url, TESSERA_LOG_LEVEL: 'warn' },
        encoding: 'utf8',
      });
      assert.equal(created.status, 0, created.stderr);
      adminToken = created.stdout.trim();

      server = await startServer(db.url, { TESSERA_LOG_LEVEL: 'info', TESSERA_ALLOW_LOOPBACK_ISSUERS: '1' });
      await apiCall('POST', '/api/orgs', { name: ORG });
      await apiCall('POST', '/api/users', { login: BOB.login, email: BOB.email, password: BOB.password });
      // Membership is by invitation; the operator adds directly (test/security-x01-x02.test.ts covers invitations).
      const added = spawnSync(process.execPath, [BIN, 'admin', 'add-member', ORG, BOB.login, '--role', 'member'], {
        env: { ...process.env, TESSERA_DATABASE_URL: db.url, TESSERA_LOG_LEVEL: 'warn' },
        encoding: 'utf8',
      });
      assert.equal(added.status, 0, added.stderr);

      browser = await launchBrowser();
      const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
      page = await context.newPage();
      page.setDefaultTimeout(10_000);
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      await mock?.stop();
      await db?.drop();
    });

    it('an organization admin reaches the OIDC issuers page from the organization navigation', async () => {
      await page.goto(`/orgs/${ORG}`);
      await page.getByLabel('Login', { exact: true }).fill(ALICE.login);
      await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading(`Organization tokens · ${ORG}`).waitFor();
      await nav('OIDC issuers').click();
      await heading(`OIDC issuers · ${ORG}`).waitFor();
      await page.getByText('No issuers yet.', { exact: false }).waitFor();
      await checkA11y(page, 'OIDC issuers (empty)');
    });

    it('refuses a private URL under the URL field, then registers the mock issuer and shows what was discovered', async () => {
      await page.getByRole('button', { name: 'Register issuer' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name', { exact: true }).fill('github-actions');
      await dialog.getByLabel('Issuer URL', { exact: true }).fill('https://10.1.2.3');
      await checkA11y(page, 'register issuer dialog');
      await dialog.getByRole('button', { name: 'Register', exact: true }).click();
      await dialog.getByText(/request id/).waitFor();
      assert.equal(await dialog.getByRole('heading', { name: 'Issuer registered' }).count(), 0);

      await dialog.getByLabel('Issuer URL', { exact: true }).fill(issuerUrl);
      await dialog.getByLabel('Max expiration (seconds)', { exact: true }).fill('3600');
      await dialog.getByText('Longest lifetime of an exchanged token: 1 hour', { exact: false }).waitFor();
      await shot('01-register');
      await dialog.getByRole('button', { name: 'Register', exact: true }).click();
      await dialog.getByRole('heading', { name: 'Issuer registered' }).waitFor();
      const text = (await dialog.textContent()) ?? '';
      assert.ok(text.includes(`Discovered issuer: ${issuerUrl}`), text);
      // Over plain http there is no certificate to pin.
      assert.match(text, /Thumbprints recorded: none/);
      await checkA11y(page, 'issuer registered dialog');
      await shot('02-registered');
      await dialog.getByRole('button', { name: 'Done' }).click();
      const row = page.getByRole('table', { name: 'OIDC issuers' }).getByRole('row').filter({ hasText: 'github-actions' });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /1 hour/);
      assert.match((await row.textContent()) ?? '', /never/);
      await checkA11y(page, 'OIDC issuers (one issuer)');
      await row.getByRole('link', { name: 'github-actions' }).click();
      await heading('OIDC issuer github-actions').waitFor();
      await page.getByText('No policies: every exchange is denied.', { exact: false }).waitFor();
    });

    it('builds an allow policy in the form, shows the server’s warning, keeps the JSON view in sync, and shows a refused save clearly', async () => {
      await page.getByRole('button', { name: 'Add policy' }).click();
      const p1 = policy(1);
      assert.equal(await p1.getByLabel('Decision', { exact: true }).inputValue(), 'Allow');
      assert.equal(await p1.getByLabel('Token type', { exact: true }).inputValue(), 'Organization token');
      const rule = p1.getByRole('group', { name: 'Rule 1', exact: true });
      assert.equal(await rule.getByLabel('Claim path', { exact: true }).inputValue(), 'sub');
      // A wildcard for the repository: the server warns that every repository of acme gets through.
      await rule.getByLabel('Pattern', { exact: true }).fill('repo:acme/*:ref:refs/heads/main');
      await page.getByText(/lets every repository of an owner through/).first().waitFor();
      await page.getByText('unsaved changes').waitFor();
      await checkA11y(page, 'policy form with a warning');
      await shot('03-policy-warning');

      // The JSON view shows the same draft; an edit there comes back to the form.
      await page.getByText('JSON', { exact: true }).click();
      const json = page.getByLabel('Policies (JSON)', { exact: true });
      const draft = JSON.parse(await json.inputValue());
      assert.deepEqual(draft, [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: 'repo:acme/*:ref:refs/heads/main' } }]);
      await page.getByText(/^Policy 1: this allow policy lets every repository of an owner through/).waitFor();
      draft[0]!.rules.sub = MAIN;
      await json.fill(JSON.stringify(draft, null, 2));
      await checkA11y(page, 'policies as JSON');
      await page.getByText('Form', { exact: true }).click();
      assert.equal(await policy(1).getByRole('group', { name: 'Rule 1' }).getByLabel('Pattern', { exact: true }).inputValue(), MAIN);
      await page.waitForFunction(() => !document.body.textContent?.includes('lets every repository of an owner through'));

      // A team policy without its team: the draft check marks it, and a save is refused with the reason.
      await p1.getByLabel('Token type', { exact: true }).click();
      await page.getByRole('option', { name: 'Team token' }).click();
      await p1.getByText('teamName is required for team policies', { exact: false }).waitFor();
      await page.getByRole('button', { name: 'Save policies' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'The policies were not saved' });
      await refused.waitFor();
      assert.match((await refused.textContent()) ?? '', /Policy 1: teamName: teamName is required for team policies/);
      await checkA11y(page, 'refused save');
      await shot('04-refused-save');
      await p1.getByLabel('Token type', { exact: true }).click();
      await page.getByRole('option', { name: 'Organization token' }).click();
    });

    it('tests pasted tokens against the draft: the main branch is allowed, another branch denied with the failed rule', async () => {
      const input = page.getByLabel('ID token or claims', { exact: true });
      await input.fill(await idToken(MAIN));
      await page.getByRole('button', { name: 'Test', exact: true }).click();
      const result = page.getByRole('region', { name: 'Test result' });
      await result.getByText('allowed', { exact: true }).waitFor();
      const trace = result.getByRole('table', { name: 'Policy trace' });
      assert.match((await trace.textContent()) ?? '', /Policy 1\s*allow\s*matched/);
      assert.ok(((await result.getByRole('table', { name: 'Claims examined' }).textContent()) ?? '').includes(MAIN));
      await checkA11y(page, 'dry run allowed');
      await shot('05-test-allowed');

      await input.fill(await idToken(EVIL));
      await page.getByRole('button', { name: 'Test', exact: true }).click();
      await result.getByText('denied', { exact: true }).waitFor();
      const row = result.getByRole('table', { name: 'Policy trace' }).getByRole('row').filter({ hasText: 'Policy 1' });
      assert.match((await row.textContent()) ?? '', /did not match: rule sub failed, no pattern matched/);
      assert.ok(((await result.getByRole('table', { name: 'Claims examined' }).textContent()) ?? '').includes(EVIL));

      // Claims typed as JSON are taken as verified.
      await input.fill(JSON.stringify({ sub: MAIN }));
      await page.getByRole('button', { name: 'Test', exact: true }).click();
      await result.getByText('allowed', { exact: true }).waitFor();
      await checkA11y(page, 'dry run');

      // The page holds at 390 px: nothing wider than the viewport but tables, which scroll.
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        // Measured once transitions (the navbar's, a notification's slide-in) have ended.
        await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), undefined, { timeout: 5_000 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `the issuer page is ${overflow}px wider than the viewport`);
        await shot('05b-issuer-mobile');
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    });

    it('saves the policies', async () => {
      const before = (await page.getByText(/^version \d+$/).textContent()) ?? '';
      await page.getByRole('button', { name: 'Save policies' }).click();
      await page.getByText(/Policies saved \(version \d+\)/).waitFor();
      await page.waitForFunction(() => !document.body.textContent?.includes('unsaved changes'));
      assert.notEqual(await page.getByText(/^version \d+$/).textContent(), before);
      const saved = await (await apiCall('GET', `/api/orgs/${ORG}/oidc/issuers`)).json();
      const issuerId = saved.oidcIssuers[0].id as string;
      const stored = await (await apiCall('GET', `/api/orgs/${ORG}/auth/policies/oidcissuers/${issuerId}`)).json();
      assert.deepEqual(stored.policies, [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: MAIN } }]);
    });

    it('an exchange shows in the attempts list with its trace, and the minted token in the organization tokens with its OIDC badge', async () => {
      const exchange = async (sub: string) =>
        fetch(`${server.url}/api/oauth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            audience: `urn:pulumi:org:${ORG}`,
            subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
            subject_token: await idToken(sub),
            requested_token_type: 'urn:pulumi:token-type:access_token:organization',
            expiration: 600,
          }),
        });
      const ok = await exchange(MAIN);
      assert.equal(ok.status, 200, await ok.clone().text());
      const minted = (await ok.json()) as { access_token: string };
      const denied = await exchange(EVIL);
      assert.equal(denied.status, 400);

      await nav('OIDC issuers').click();
      await page.getByRole('table', { name: 'OIDC issuers' }).getByRole('row').filter({ hasText: 'github-actions' }).filter({ hasNotText: 'never' }).waitFor();
      await page.getByRole('link', { name: 'Exchange attempts' }).click();
      await heading(`Exchange attempts · ${ORG}`).waitFor();
      const table = page.getByRole('table', { name: 'Exchange attempts' });
      const allowedRow = table.getByRole('row').filter({ hasText: 'allowed' }).filter({ hasText: MAIN });
      const deniedRow = table.getByRole('row').filter({ hasText: 'denied' }).filter({ hasText: EVIL });
      await allowedRow.waitFor();
      await deniedRow.waitFor();
      assert.match((await allowedRow.textContent()) ?? '', /github-actions/);
      await deniedRow.getByRole('button', { name: 'Details' }).click();
      const details = table.getByRole('table', { name: 'Policy trace' });
      await details.waitFor();
      assert.match((await details.textContent()) ?? '', /did not match: rule sub failed, no pattern matched/);
      await checkA11y(page, 'exchange attempts with details');
      await shot('06-attempts');

      await page.getByText('Denied', { exact: true }).click();
      await page.waitForFunction((main) => !document.querySelector('table[aria-label="Exchange attempts"]')?.textContent?.includes(main), MAIN);
      await deniedRow.waitFor();

      await nav('Organization tokens').click();
      await heading(`Organization tokens · ${ORG}`).waitFor();
      const badge = page.getByRole('row').filter({ hasText: /oidc-/ }).getByLabel(`OIDC: github-actions · ${MAIN}`);
      await badge.waitFor();
      await checkA11y(page, 'organization tokens with an exchanged token');
      await shot('07-oidc-token');
      const me = await fetch(`${server.url}/api/orgs/${ORG}`, { headers: { Authorization: `token ${minted.access_token}` } });
      assert.equal(me.status, 200);
    });

    it('edits the issuer, regenerates its thumbprints and deletes it after confirming', async () => {
      await nav('OIDC issuers').click();
      await page.getByRole('link', { name: 'github-actions' }).click();
      await heading('OIDC issuer github-actions').waitFor();
      await page.getByRole('button', { name: 'Edit issuer' }).click();
      let dialog = page.getByRole('dialog');
      assert.equal(await dialog.getByLabel('Issuer URL', { exact: true }).getAttribute('readonly'), '');
      await dialog.getByLabel('Name', { exact: true }).fill('gha');
      await dialog.getByLabel('Max expiration (seconds)', { exact: true }).fill('7200');
      await checkA11y(page, 'edit issuer dialog');
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await heading('OIDC issuer gha').waitFor();
      await page.getByText('2 hours', { exact: true }).waitFor();

      await page.getByRole('button', { name: 'Regenerate thumbprints' }).click();
      await checkA11y(page, 'regenerate thumbprints dialog');
      await page.getByRole('dialog').getByRole('button', { name: 'Regenerate', exact: true }).click();
      await page.getByText(/Thumbprints regenerated: 0 recorded/).waitFor();

      await page.getByRole('button', { name: 'Delete issuer' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByText('deletes its policies', { exact: false }).waitFor();
      await checkA11y(page, 'delete issuer dialog');
      await dialog.getByRole('button', { name: 'Delete issuer' }).click();
      await heading(`OIDC issuers · ${ORG}`).waitFor();
      await page.getByText('No issuers yet.', { exact: false }).waitFor();
    });

    it('a plain member sees no OIDC entry and no OIDC page', async () => {
      const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
      try {
        const bob = await context.newPage();
        bob.setDefaultTimeout(10_000);
        await bob.goto(`/orgs/${ORG}/oidc`);
        await bob.getByLabel('Login', { exact: true }).fill(BOB.login);
        await bob.getByLabel('Password', { exact: true }).fill(BOB.password);
        await bob.getByRole('button', { name: 'Sign in' }).click();
        await bob.getByText('Only organization admins can manage OIDC issuers.').waitFor();
        assert.equal(await bob.getByRole('link', { name: 'OIDC issuers' }).count(), 0);
      } finally {
        await context.close();
      }
    });

    it('no ID token reached the server logs', () => {
      const out = server.output();
      for (const jwt of jwts) assert.ok(!out.includes(jwt), 'an ID token reached the logs');
    });
  });
}
