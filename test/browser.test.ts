// The web console in headless Chromium against a real Tessera process on a fresh SQLite database.
// Journeys run in order and share the server: setup → sign in/out → personal token → organization,
// team and tokens → a plain team member's view → audit log → layouts. Every page is checked with axe-core.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { browserUnavailable, checkA11y, launchBrowser, screenshot } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { makeOrg, startHarness, type Harness } from './support/harness.js';
import { startServer, type ServerProcess } from './support/server-process.js';

const missing = browserUnavailable();
if (missing && process.env.CI) {
  // In CI the browser suite is required: .ci/run installs Chromium.
  describe('console in Chromium', () => {
    it('needs Chromium and the built console', () => assert.fail(`browser suite cannot run in CI: ${missing}`));
  });
} else if (missing) {
  console.log(`# browser suite skipped: ${missing}`);
  describe('console in Chromium', () => {
    it('skipped', { skip: missing }, () => {});
  });
} else {
  suite();
}

const ALICE = { login: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' };
const BOB = { login: 'bob', email: 'bob@example.com', password: 'another long passphrase 42' };

function suite(): void {
  describe('console in Chromium', { timeout: 120_000 }, () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;

    before(async () => {
      db = await createTestDatabase('sqlite');
      server = await startServer(db.url, { TESSERA_LOG_LEVEL: 'warn' });
      browser = await launchBrowser();
      context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
      page = await context.newPage();
      page.setDefaultTimeout(10_000);
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      await db?.drop();
    });

    const heading = (name: string) => page.getByRole('heading', { name, exact: true });
    const nav = (name: string) => page.getByRole('navigation').getByRole('link', { name, exact: true });

    it('serves the console: index.html for client routes (no-cache), fingerprinted assets for a year, API 404s stay JSON', async () => {
      const page1 = await fetch(`${server.url}/orgs/acme/teams/platform`);
      assert.equal(page1.status, 200);
      assert.match(page1.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(page1.headers.get('cache-control'), 'no-cache');
      const html = await page1.text();
      const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
      assert.ok(script?.startsWith('/assets/'), 'index.html loads a script from /assets/');
      const asset = await fetch(`${server.url}${script}`, { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(asset.status, 200);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(asset.headers.get('content-encoding'), 'gzip');
      const api = await fetch(`${server.url}/api/no-such-thing`);
      assert.equal(api.status, 404);
      assert.equal((await api.json()).reason, 'route_not_found');
      assert.equal(api.headers.get('cache-control'), 'no-store');
      assert.equal((await fetch(`${server.url}/assets/missing-0000.js`)).status, 404);
    });

    it('first run: the setup page creates the first site administrator and signs in', async () => {
      await page.goto('/');
      await heading('Set up Tessera').waitFor();
      await checkA11y(page, 'setup');
      await page.getByLabel('Login', { exact: true }).fill(ALICE.login);
      await page.getByLabel('Email', { exact: true }).fill(ALICE.email);
      await page.getByLabel('Name', { exact: true }).fill('Alice Admin');
      await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
      await page.getByLabel('Confirm password', { exact: true }).fill(ALICE.password);
      await screenshot(page, '01-setup');
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await heading('Personal tokens').waitFor();
      await page.getByText('No active tokens.').waitFor();
      await checkA11y(page, 'personal tokens (empty)');
      // Setup is offered once only.
      const setup = await (await fetch(`${server.url}/api/setup`)).json();
      assert.equal(setup.needed, false);
    });

    it('signs out and in again; a wrong password is refused with a message', async () => {
      await page.getByRole('button', { name: /^User menu/ }).click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await heading('Sign in').waitFor();
      await checkA11y(page, 'sign in');
      await page.getByLabel('Login', { exact: true }).fill(ALICE.login);
      await page.getByLabel('Password', { exact: true }).fill('wrong password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: /Wrong login or password|request id/ }).waitFor();
      await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading('Personal tokens').waitFor();
      // A reload keeps the session (cookie), and the console still knows who is signed in.
      await page.reload();
      await heading('Personal tokens').waitFor();
      await page.getByRole('button', { name: 'User menu for alice' }).waitFor();
      await screenshot(page, '02-signed-in');
    });

    it('creates a personal token with a custom expiry date, shows the value once, lists it, deletes it', async () => {
      await page.getByRole('button', { name: 'Create token' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Description').fill('laptop, custom date');
      // The default is 30 days.
      assert.equal(await dialog.getByLabel('Expiration', { exact: true }).inputValue(), '30 days');
      await dialog.getByLabel('Expiration', { exact: true }).click();
      await page.getByRole('option', { name: 'No expiration' }).click();
      await dialog.getByText('This token never expires').waitFor();
      await dialog.getByLabel('Expiration', { exact: true }).click();
      await page.getByRole('option', { name: 'Custom date' }).click();
      await dialog.getByLabel('Expiration date', { exact: true }).click();
      await checkA11y(page, 'create token with the date picker open');
      await page.getByRole('button', { name: 'Next month' }).click();
      await page.getByRole('button', { name: 'Next month' }).click();
      const now = new Date();
      const target = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 15));
      const dayLabel = target.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
      await page.getByRole('button', { name: dayLabel, exact: true }).click();
      await screenshot(page, '03-create-token-form');
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();

      const valueBox = page.getByRole('textbox', { name: 'Token value' });
      await valueBox.waitFor();
      await page.getByText('This is the only time the token value is shown').waitFor();
      await checkA11y(page, 'token value dialog');
      const value = await valueBox.inputValue();
      assert.match(value, /^\S{20,}$/);
      await screenshot(page, '04-token-value');

      // The value works against the API...
      const me = await fetch(`${server.url}/api/user`, { headers: { Authorization: `token ${value}` } });
      assert.equal(me.status, 200);
      assert.equal((await me.json()).githubLogin, ALICE.login);
      // ...and the console kept it nowhere.
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + location.href + document.cookie);
      assert.ok(!stored.includes(value), 'the token value is stored or in the URL');

      await page.getByRole('button', { name: 'Done' }).click();
      await valueBox.waitFor({ state: 'detached' });
      assert.ok(!(await page.content()).includes(value), 'the token value is still on the page');

      const row = page.getByRole('row').filter({ hasText: 'laptop, custom date' });
      await row.waitFor();
      const iso = target.toISOString().slice(0, 10);
      assert.equal(await row.locator('time').last().getAttribute('title'), `${iso} 23:59:59 +00:00`);
      assert.match((await row.textContent()) ?? '', /in (a month|\d+ (days|months))/);
      assert.match((await row.textContent()) ?? '', /by alice/);
      assert.match((await row.textContent()) ?? '', /active/);
      const listed = await (await fetch(`${server.url}/api/user/tokens`, { headers: { Authorization: `token ${value}` } })).json();
      const token = listed.tokens.find((t: { description: string }) => t.description === 'laptop, custom date');
      assert.equal(token.expires, Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), 16) / 1000 - 1);
      assert.equal(token.source, 'console');
      await checkA11y(page, 'personal tokens (one token)');
      await screenshot(page, '05-token-listed');

      await row.getByRole('button', { name: 'Delete token' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByText('No active tokens.').waitFor();
      const refused = await fetch(`${server.url}/api/user`, { headers: { Authorization: `token ${value}` } });
      assert.equal(refused.status, 401);
      await page.getByText('All', { exact: true }).click();
      await page.getByRole('row').filter({ hasText: 'laptop, custom date' }).filter({ hasText: 'revoked' }).waitFor();
    });

    it('a site admin creates a user; an organization, a member, a team, a team token and an organization token', async () => {
      await nav('Users').click();
      await heading('Users').waitFor();
      await page.getByLabel('Login', { exact: true }).fill(BOB.login);
      await page.getByLabel('Email', { exact: true }).fill(BOB.email);
      await page.getByLabel('Initial password', { exact: true }).fill(BOB.password);
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.getByRole('row').filter({ hasText: BOB.email }).waitFor();
      await checkA11y(page, 'users');

      await nav('Create organization').click();
      await page.getByLabel('Organization name').fill('acme');
      await checkA11y(page, 'create organization');
      await page.getByRole('button', { name: 'Create organization' }).click();
      await heading('Organization tokens · acme').waitFor();
      await page.getByRole('button', { name: 'Organization: acme' }).waitFor();

      await page.getByRole('button', { name: 'Create token' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name', { exact: true }).fill('deploy');
      await dialog.getByLabel('Description').fill('deploys to production');
      await dialog.getByLabel(/Admin token/).check();
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('textbox', { name: 'Token value' }).waitFor();
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByRole('row').filter({ hasText: 'deploy' }).filter({ hasText: 'admin' }).waitFor();
      await checkA11y(page, 'organization tokens');

      // Membership is by invitation: alice invites bob, who accepts in his own console.
      await nav('Members').click();
      await heading('Members · acme').waitFor();
      await page.getByLabel('Login', { exact: true }).fill(BOB.login);
      await page.getByRole('button', { name: 'Invite', exact: true }).click();
      await page.getByText(`Invitation sent to ${BOB.login}`, { exact: false }).waitFor();
      const pending = page.getByRole('table', { name: 'Pending invitations' });
      await pending.getByRole('row').filter({ hasText: BOB.login }).waitFor();
      await pending.getByRole('button', { name: `Cancel the invitation of ${BOB.login}` }).waitFor();
      await checkA11y(page, 'members with a pending invitation');
      assert.equal(await page.getByRole('row').filter({ hasText: BOB.email }).count(), 0, 'not a member before accepting');

      const bobContext = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
      try {
        const bobPage = await bobContext.newPage();
        bobPage.setDefaultTimeout(10_000);
        await bobPage.goto('/invitations');
        await bobPage.getByLabel('Login', { exact: true }).fill(BOB.login);
        await bobPage.getByLabel('Password', { exact: true }).fill(BOB.password);
        await bobPage.getByRole('button', { name: 'Sign in' }).click();
        await bobPage.getByRole('heading', { name: 'Invitations', exact: true }).waitFor();
        const invitation = bobPage.getByRole('table', { name: 'Pending invitations' }).getByRole('row').filter({ hasText: 'acme' });
        await invitation.waitFor();
        await checkA11y(bobPage, 'invitations');
        await screenshot(bobPage, '05b-invitations');
        await bobPage.getByRole('button', { name: 'Accept the invitation to acme' }).click();
        await bobPage.getByText('No pending invitations.').waitFor();
        // The organization is his now: it shows in the navigation.
        await bobPage.getByRole('navigation').getByRole('link', { name: 'acme', exact: true }).waitFor();
        await checkA11y(bobPage, 'invitations answered');
      } finally {
        await bobContext.close();
      }
      await page.reload();
      await heading('Members · acme').waitFor();
      await page.getByRole('row').filter({ hasText: BOB.email }).waitFor();
      await page.getByText('No pending invitations.').waitFor();
      await checkA11y(page, 'members');

      await nav('Teams').click();
      await heading('Teams · acme').waitFor();
      await page.getByText('No teams yet.', { exact: false }).waitFor();
      await checkA11y(page, 'teams');
      await page.getByLabel('Team name').fill('platform');
      await page.getByRole('button', { name: 'Create team' }).click();
      await heading('Team platform').waitFor();
      await page.getByLabel('Member login').fill(BOB.login);
      await page.getByRole('button', { name: 'Add to team' }).click();
      await page.getByRole('table', { name: 'Team members' }).getByRole('row').filter({ hasText: BOB.login }).waitFor();

      await page.getByRole('button', { name: 'Create token' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name', { exact: true }).fill('ci');
      await dialog.getByLabel('Description').fill('team pipeline');
      await dialog.getByLabel('Expiration', { exact: true }).click();
      await page.getByRole('option', { name: '7 days' }).click();
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('textbox', { name: 'Token value' }).waitFor();
      await page.getByRole('button', { name: 'Done' }).click();
      const row = page.getByRole('row').filter({ hasText: 'team pipeline' });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /expiring/);
      await checkA11y(page, 'team');
      await screenshot(page, '06-team');
    });

    it('a team member who is not a maintainer sees no token controls', async () => {
      const bobContext = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
      try {
        const bobPage = await bobContext.newPage();
        bobPage.setDefaultTimeout(10_000);
        await bobPage.goto('/orgs/acme/teams/platform');
        await bobPage.getByLabel('Login', { exact: true }).fill(BOB.login);
        await bobPage.getByLabel('Password', { exact: true }).fill(BOB.password);
        await bobPage.getByRole('button', { name: 'Sign in' }).click();
        await bobPage.getByRole('heading', { name: 'Team platform' }).waitFor();
        await bobPage.getByText("Only organization admins and this team's maintainers can see and manage its tokens.").waitFor();
        assert.equal(await bobPage.getByRole('button', { name: 'Create token' }).count(), 0);
        assert.equal(await bobPage.getByRole('button', { name: 'Delete token' }).count(), 0);
        assert.equal(await bobPage.getByText('team pipeline').count(), 0);
        assert.equal(await bobPage.getByRole('button', { name: 'Add to team' }).count(), 0);
        // No admin pages in the navigation either.
        assert.equal(await bobPage.getByRole('link', { name: 'Audit log' }).count(), 0);
        assert.equal(await bobPage.getByRole('link', { name: 'Organization tokens' }).count(), 0);
        await checkA11y(bobPage, 'team as a plain member');
        await screenshot(bobPage, '07-team-as-member');
      } finally {
        await bobContext.close();
      }
    });

    it('the audit log shows these events and the CSV export contains them; expirations list the team token', async () => {
      await nav('Audit log').click();
      await heading('Audit log · acme').waitFor();
      const table = page.getByRole('table', { name: 'Audit log' });
      await table.waitFor();
      const text = (await table.textContent()) ?? '';
      for (const event of ['organization_created', 'member_invited', 'invitation_accepted', 'member_added', 'team_created', 'team_member_added', 'access_token_created']) {
        assert.ok(text.includes(event), `audit log lacks ${event}`);
      }
      await checkA11y(page, 'audit log');
      await screenshot(page, '08-audit');

      const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
      assert.ok(href?.startsWith('/api/orgs/acme/auditlogs/export?format=csv'));
      const csv = await page.evaluate(async (url) => {
        const r = await fetch(url, { headers: { 'X-Tessera-Client': 'console' } });
        return `${r.status}\n${await r.text()}`;
      }, href!);
      assert.match(csv, /^200\n/);
      for (const event of ['organization_created', 'team_created', 'access_token_created']) assert.ok(csv.includes(event), `CSV lacks ${event}`);
      assert.ok(csv.includes('ci') && csv.includes('deploy'));

      await page.getByLabel('Event').fill('team_created');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForFunction(() => !document.body.textContent?.includes('organization_created'));
      assert.ok(((await table.textContent()) ?? '').includes('team_created'));

      await nav('Expirations').click();
      await heading('Expirations · acme').waitFor();
      await page.getByRole('link', { name: 'ci' }).waitFor();
      await checkA11y(page, 'expirations');
      await page.getByRole('tab', { name: 'No expiry' }).click();
      await page.getByText('Nothing here.').waitFor();
      await page.getByRole('tab', { name: 'Unused' }).click();
      await page.getByRole('link', { name: 'deploy' }).waitFor();
    });

    it('account page, and a layout that holds at 390 px with a burger menu', async () => {
      await page.goto('/account');
      await heading('Change password').waitFor();
      await checkA11y(page, 'account');

      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto('/tokens');
      await heading('Personal tokens').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the page is ${overflow}px wider than the viewport`);
      await page.getByRole('button', { name: 'Toggle navigation' }).click();
      await page.getByRole('navigation').getByRole('link', { name: 'Account', exact: true }).click();
      await heading('Change password').waitFor();
      await checkA11y(page, 'account at 390 px');
      await screenshot(page, '09-mobile');
      await page.setViewportSize({ width: 1280, height: 900 });
    });
  });

  // W08 needs a clock the test can move, so this journey runs on an in-process server (the
  // harness app listening on loopback, which serves the same built console) instead of a process.
  describe('console in Chromium: re-authentication for sensitive actions (W08)', { timeout: 120_000 }, () => {
    let h: Harness;
    let base: string;
    let browser: Browser;
    let page: Page;
    const password = 'a third long passphrase 7';

    before(async () => {
      // A long idle timeout, so the session outlives the 11 minutes the clock moves at once.
      h = await startHarness('sqlite', { sessionIdleTimeoutSeconds: 24 * 3600 });
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      h.secrets.add(password);
      const carol = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: 'carol', email: 'carol@example.com', password });
      await makeOrg(h, carol, 'globex');
      browser = await launchBrowser();
      const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
      page = await context.newPage();
      page.setDefaultTimeout(10_000);
    });

    after(async () => {
      await browser?.close();
      await h?.close();
    });

    it('W08: an organization token through a session signed in 11 minutes ago asks for the password in a dialog, then is created', async () => {
      await page.goto('/orgs/globex');
      await page.getByLabel('Login', { exact: true }).fill('carol');
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Organization tokens · globex', exact: true }).waitFor();
      h.clock.advance(11 * 60_000);

      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('dialog').getByLabel('Name', { exact: true }).fill('release');
      await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Confirm your password to continue' });
      await confirm.waitFor();
      // Cancelled, the action is not done and the form says why.
      await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
      await confirm.waitFor({ state: 'detached' });
      await page.getByRole('dialog', { name: 'Create token' }).getByRole('alert').filter({ hasText: 'Not done: this action needs your password again' }).waitFor();
      await page.getByRole('dialog', { name: 'Create token' }).getByRole('button', { name: 'Create', exact: true }).click();
      await confirm.waitFor();
      const field = confirm.getByLabel('Password', { exact: true });
      // The password field has the focus, so the person can type at once.
      await page.waitForFunction(() => document.activeElement?.getAttribute('autocomplete') === 'current-password');
      await checkA11y(page, 'password confirmation dialog');
      await screenshot(page, '10-reauthenticate');

      await field.fill('not my password');
      await confirm.getByRole('button', { name: 'Confirm', exact: true }).click();
      await confirm.getByRole('alert').filter({ hasText: 'The password is wrong.' }).waitFor();
      await checkA11y(page, 'password confirmation dialog with an error');
      // Nothing was created while the password was wrong.
      assert.ok(!(await h.deps.store.listAudit(null, 1000)).some((e) => e.action === 'access_token_created'));

      await field.fill(password);
      await confirm.getByRole('button', { name: 'Confirm', exact: true }).click();
      // The refused create was retried by itself: the value is shown.
      const valueBox = page.getByRole('textbox', { name: 'Token value' });
      await valueBox.waitFor();
      await confirm.waitFor({ state: 'detached' });
      const value = await valueBox.inputValue();
      h.secrets.add(value);
      assert.match(value, /^\S{20,}$/);
      await checkA11y(page, 'organization token value after re-authentication');
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByRole('row').filter({ hasText: 'release' }).waitFor();

      const actions = (await h.deps.store.listAudit(null, 1000)).map((e) => e.action);
      assert.ok(actions.includes('reauthentication_failed'));
      assert.ok(actions.includes('session_reauthenticated'));
      assert.equal(actions.filter((a) => a === 'access_token_created').length, 1);
    });
  });
}
