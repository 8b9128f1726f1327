import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { databaseKinds } from './support/databases.js';
import { addMember, makeOrg, makeTeam, makeToken, uniqueName } from './support/harness.js';
import { startLive, type LiveHarness, type LiveResponse } from './support/live.js';

// Catalog Z04: a token used to mint tokens broader than itself. Broader in scope is covered in
// security-authz.test.ts; broader in time is here: a token may not create a token expiring after
// itself, and "never" only from a console session or a token that never expires itself.

const DAY = 86400;

function refusedExpiry(r: LiveResponse, what: string): void {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.json.reason, 'expires_invalid', what);
  assert.match(r.json.message, /expires|never/, what);
}

for (const kind of databaseKinds()) {
  describe(`Z04: tokens cannot outlive the token that made them (${kind})`, () => {
    let h: LiveHarness;
    before(async () => {
      h = await startLive(kind);
    });
    after(async () => h.close());

    it('Z04: a token may not create a token expiring after itself, nor one that never expires; a session or a never-expiring token may', async () => {
      const password = 'correct horse battery staple';
      h.secrets.add(password);
      const login = uniqueName('z04');
      const user = await createUser(h.deps, NO_REQUEST, SYSTEM, { login, email: 'z@example.com', password });
      const person = { kind: 'user' as const, user, token: null };
      const org = await makeOrg(h, user);
      const team = await makeTeam(h, org);
      const member = await createUser(h.deps, NO_REQUEST, SYSTEM, { login: uniqueName('m'), email: 'm@example.com' });
      await addMember(h, org, member);
      const now = h.clock.nowSec();
      const soon = now + DAY;
      const expiring = await makeToken(h, person, { type: 'personal' }, { expires: soon });
      const forever = await makeToken(h, person, { type: 'personal' });
      const adminOrg = await makeToken(h, person, { type: 'organization', org: org.name }, { name: 'ci-admin', admin: true, expires: soon });

      const tokenCount = async () => {
        const all = await h.http('GET', '/api/user/tokens?filter=all', { token: forever.value });
        const orgTokens = await h.http('GET', `/api/orgs/${org.name}/tokens?filter=all`, { token: forever.value });
        const teamTokens = await h.http('GET', `/api/orgs/${org.name}/teams/${team.name}/tokens?filter=all`, { token: forever.value });
        return all.json.tokens.length + orgTokens.json.tokens.length + teamTokens.json.tokens.length;
      };
      const before = await tokenCount();
      const audited = (await h.deps.store.listAudit(null, 100_000)).filter((e) => e.action === 'access_token_created').length;

      const personal = '/api/user/tokens';
      const orgTokens = `/api/orgs/${org.name}/tokens`;
      const teamTokens = `/api/orgs/${org.name}/teams/${team.name}/tokens`;
      const later = soon + 1;
      const laterIso = new Date(later * 1000).toISOString();
      // An expiring personal token: nothing past its own expiry, and never "never", of any type.
      for (const [path, body] of [
        [personal, {}],
        [personal, { expires: 0 }],
        [personal, { expires: later }],
        [personal, { expires: laterIso }],
        [personal, { expires: now + 365 * DAY }],
        [orgTokens, { name: uniqueName('o') }],
        [orgTokens, { name: uniqueName('o'), expires: later, admin: true }],
        [teamTokens, { name: uniqueName('t') }],
        [teamTokens, { name: uniqueName('t'), expires: later }],
      ] as const) {
        refusedExpiry(await h.http('POST', path, { token: expiring.value, body }), `personal token → ${path} ${JSON.stringify(body)}`);
      }
      // An expiring admin organization token creating team tokens: the same bound.
      for (const body of [{ name: uniqueName('t') }, { name: uniqueName('t'), expires: 0 }, { name: uniqueName('t'), expires: later }]) {
        refusedExpiry(await h.http('POST', teamTokens, { token: adminOrg.value, body }), `admin organization token → team ${JSON.stringify(body)}`);
      }
      assert.equal(await tokenCount(), before, 'nothing was created');
      assert.equal((await h.deps.store.listAudit(null, 100_000)).filter((e) => e.action === 'access_token_created').length, audited, 'nothing was audited as created');

      // Up to its own expiry is fine.
      for (const [token, path, body] of [
        [expiring.value, personal, { expires: soon }],
        [expiring.value, orgTokens, { name: uniqueName('o'), expires: soon - 60 }],
        [expiring.value, teamTokens, { name: uniqueName('t'), expires: new Date(soon * 1000).toISOString() }],
        [adminOrg.value, teamTokens, { name: uniqueName('t'), expires: soon }],
      ] as const) {
        const r = await h.http('POST', path, { token, body });
        assert.equal(r.status, 200, `${path} ${JSON.stringify(body)}: ${r.text}`);
      }
      // A token that never expires may create one that never expires, or one that does.
      assert.equal((await h.http('POST', personal, { token: forever.value, body: {} })).status, 200);
      assert.equal((await h.http('POST', orgTokens, { token: forever.value, body: { name: uniqueName('o') } })).status, 200);
      assert.equal((await h.http('POST', personal, { token: forever.value, body: { expires: now + 365 * DAY } })).status, 200);
      // The console (a session, which proved the password) may create tokens without expiry.
      const session = await h.http('POST', '/api/session', { body: { login, password } });
      assert.equal(session.status, 200, session.text);
      const cookie = String(session.headers['set-cookie']).split(';')[0]!;
      h.secrets.add(cookie.split('=')[1]!);
      const fromConsole = await h.http('POST', personal, { headers: { cookie, 'x-csrf-token': session.json.csrfToken }, body: { description: 'from the console' } });
      assert.equal(fromConsole.status, 200, fromConsole.text);
      assert.equal(await tokenCount(), before + 8);

      // Broader in scope stays refused (403): an organization token never makes personal tokens.
      assert.equal((await h.http('POST', personal, { token: adminOrg.value, body: { expires: soon } })).status, 403);
    });
  });
}
