import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NO_REQUEST } from '../src/domain/deps.js';
import { SYSTEM } from '../src/domain/principal.js';
import { createUser } from '../src/domain/users/create-user.js';
import { databaseKinds } from './support/databases.js';
import { uniqueName } from './support/harness.js';
import { liveIssuer, startLive, type LiveHarness, type LiveIssuer, type LiveResponse } from './support/live.js';

// Catalog X10: a NUL character (U+0000) in any string field, path segment or query value. PostgreSQL
// text cannot hold it, so it used to fail in the query with a 500, even anonymously at sign-in.

const NUL = '\u0000';

function restError(r: LiveResponse, what: string): void {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.json.code, 400, what);
  assert.equal(r.json.reason, 'invalid_request', what);
  assert.equal(r.json.requestId, r.headers['x-request-id'], what);
}

function oauthError(r: LiveResponse, what: string): void {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.json.error, 'invalid_request', what);
  assert.equal(typeof r.json.error_description, 'string', what);
  assert.equal(r.json.request_id, r.headers['x-request-id'], what);
  assert.equal(r.headers['cache-control'], 'no-store');
}

for (const kind of databaseKinds()) {
  describe(`X10: NUL characters (${kind})`, () => {
    let h: LiveHarness;
    let oidc: LiveIssuer;
    let login: string;
    const password = 'correct horse battery staple';

    before(async () => {
      h = await startLive(kind, { allowLoopbackIssuers: true });
      oidc = await liveIssuer(h);
      login = uniqueName('nul');
      h.secrets.add(password);
      await createUser(h.deps, NO_REQUEST, SYSTEM, { login, email: 'n@example.com', password });
    });
    after(async () => h.close());

    const counts = async () => ({
      audit: (await h.deps.store.listAudit(null, 100_000)).length,
      orgs: (await h.http('GET', '/api/user', { token: oidc.admin.token })).json.organizations.length,
      tokens: (await h.http('GET', '/api/user/tokens?filter=all', { token: oidc.admin.token })).json.tokens.length,
    });

    it('X10: a NUL in any string field, path segment or query value is 400 in the REST shape (OAuth shape at the token endpoint), never a 500', async () => {
      const before = await counts();
      const t = oidc.admin.token;
      const cases: Array<[string, string, { token?: string; body?: unknown; headers?: Record<string, string> }]> = [
        // anonymous: sign-in and setup
        ['POST', '/api/session', { body: { login: `${login}${NUL}`, password } }],
        ['POST', '/api/session', { body: { login, password: `${password}${NUL}` } }],
        ['POST', '/api/session', { body: { [`login${NUL}`]: login, password } }],
        ['POST', '/api/setup', { body: { login: `a${NUL}`, email: 'a@example.com', password } }],
        // path segments, raw and in every position
        ['GET', `/api/orgs/${oidc.org}%00`, { token: t }],
        ['GET', `/api/orgs/a%00b/tokens`, { token: t }],
        ['GET', `/api/orgs/${oidc.org}/teams/x%00y`, { token: t }],
        ['DELETE', `/api/user/tokens/%00`, { token: t }],
        ['GET', `/api/orgs/${oidc.org}/oidc/issuers/${oidc.issuerId}%00`, { token: t }],
        ['GET', `/api/users/%00`, { token: t }],
        ['GET', `/%00`, { headers: { accept: 'text/html' } }],
        // query values and names
        ['GET', '/api/user/tokens?filter=all%00', { token: t }],
        ['GET', '/api/user/tokens?continuationToken=%00abc', { token: t }],
        ['GET', `/api/orgs/${oidc.org}/auditlogs?user=%00`, { token: t }],
        ['GET', `/api/orgs/${oidc.org}/auditlogs?event=a%00b`, { token: t }],
        ['GET', '/api/user?x%00=1', { token: t }],
        // JSON string fields, keys, nested values
        ['POST', '/api/user/tokens', { token: t, body: { description: `x${NUL}y` } }],
        ['POST', '/api/user/tokens', { token: t, body: { expires: `2027-01-01T00:00:00Z${NUL}` } }],
        ['POST', '/api/orgs', { token: t, body: { name: `acme${NUL}` } }],
        ['POST', `/api/orgs/${oidc.org}/teams`, { token: t, body: { name: `t${NUL}` } }],
        ['POST', `/api/orgs/${oidc.org}/tokens`, { token: t, body: { name: 'n', description: `d${NUL}` } }],
        ['PATCH', `/api/orgs/${oidc.org}/oidc/issuers/${oidc.issuerId}`, { token: t, body: { name: `static${NUL}` } }],
        ['POST', `/api/orgs/${oidc.org}/oidc/issuers/${oidc.issuerId}/policies/test`, { token: t, body: { requestedTokenType: 'organization', claims: { sub: [`x${NUL}`] } } }],
        ['POST', `/api/orgs/${oidc.org}/oidc/issuers/${oidc.issuerId}/policies/test`, { token: t, body: { requestedTokenType: 'organization', claims: { [`k${NUL}`]: 'v' } } }],
      ];
      for (const [method, path, opts] of cases) restError(await h.http(method, path, opts), `${method} ${path} ${JSON.stringify(opts.body ?? '')}`);

      // The token endpoint answers in the OAuth shape: JSON and form bodies, and the query.
      const jwt = await oidc.sign(oidc.claims());
      oauthError(await oidc.exchange(jwt, { audience: `urn:pulumi:org:${oidc.org}${NUL}` }), 'JSON audience');
      oauthError(await oidc.exchange(jwt, { scope: NUL }), 'JSON scope');
      for (const form of [`grant_type=x%00`, `audience=urn%3Apulumi%3Aorg%3A${oidc.org}%00&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange`, `subject_token=a\u0000b`]) {
        oauthError(await h.http('POST', '/api/oauth/token', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), `form ${JSON.stringify(form)}`);
      }
      oauthError(await h.http('POST', '/api/oauth/token?x=%00', { body: {} }), 'token endpoint query');

      // A NUL inside a signed claim that is stored (sub, jti): refused as an invalid token, audited.
      for (const claim of ['sub', 'jti']) {
        const bad = await oidc.sign(oidc.claims({ [claim]: `repo:acme/app${NUL}` }));
        oauthError(await oidc.exchange(bad), `JWT ${claim}`);
      }
      const denials = (await oidc.audit()).filter((e) => e.action === 'oidc_token_exchange_denied');
      assert.deepEqual(denials.slice(0, 2).map((e) => e.details?.reason).sort(), ['jti_invalid', 'sub_invalid']);

      // Nothing changed beyond those two denial events, and the server still answers.
      const after = await counts();
      assert.deepEqual(after, { ...before, audit: before.audit + 2 });
      assert.equal((await h.http('POST', '/api/session', { body: { login, password } })).status, 200);
      assert.ok(!h.logs.text().includes('"level":50'), 'no error was logged');
    });
  });
}
