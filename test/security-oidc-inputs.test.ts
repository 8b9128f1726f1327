import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from './support/databases.js';
import { b64url, signCompact } from './support/oidc-fixture.js';
import { liveIssuer, startLive, type LiveHarness, type LiveIssuer, type LiveResponse } from './support/live.js';

// Catalog J11 (encrypted, compressed and nested subject tokens), J16 (times beyond the leeway and
// a maximum age for `iat`) and X11 (claims nested thousands of levels deep), each driven through
// POST /api/oauth/token of a listening server, with the audit trail checked.

const DAY = 86400;

function refused(r: LiveResponse, what: string): void {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.json.error, 'invalid_request', what);
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.ok(!('access_token' in r.json), what);
}

for (const kind of databaseKinds()) {
  describe(`subject token inputs over HTTP (${kind})`, () => {
    let h: LiveHarness;
    let oidc: LiveIssuer;

    before(async () => {
      h = await startLive(kind, { allowLoopbackIssuers: true });
      oidc = await liveIssuer(h);
    });
    after(async () => h.close());

    const denials = async () => (await oidc.audit()).filter((e) => e.action === 'oidc_token_exchange_denied');
    const tokens = async () => (await h.http('GET', `/api/orgs/${oidc.org}/tokens?filter=all`, { token: oidc.admin.token })).json.tokens.length as number;
    /** A well-formed exchange still works, so the refusals below are about the token alone. */
    const stillWorks = async () => {
      const ok = await oidc.exchange(await oidc.sign(oidc.claims()));
      assert.equal(ok.status, 200, ok.text);
    };

    it('J11: JWE (5 segments), zip:DEF bomb, PBES2 p2c=2^31 and nested cty:JWT are refused before any decrypt or decompress, in flat time', async () => {
      const header = { alg: 'ES256', kid: oidc.key.jwk.kid, typ: 'JWT' };
      const claims = oidc.claims();
      // 10 MB of zeros deflated into a few kilobytes: a bomb if anyone inflated it.
      const bombBytes = deflateRawSync(Buffer.alloc(10 * 1024 * 1024));
      const bomb = b64url(bombBytes);
      const tag = b64url(Buffer.alloc(16));
      const cases: Array<[string, string, string | undefined]> = [
        ['JWE RSA-OAEP with zip:DEF, 5 segments', `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM', zip: 'DEF', kid: oidc.key.jwk.kid })}.${b64url(Buffer.alloc(256))}.${b64url(Buffer.alloc(12))}.${bomb}.${tag}`, undefined],
        ['JWE PBES2 p2c=2^31, 5 segments', `${b64url({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 2 ** 31, p2s: b64url(Buffer.alloc(16)) })}.${b64url(Buffer.alloc(40))}.${b64url(Buffer.alloc(12))}.${b64url(Buffer.alloc(64))}.${tag}`, undefined],
        ['JWE dir with zip:DEF, 5 segments', `${b64url({ alg: 'dir', enc: 'A128GCM', zip: 'DEF' })}..${b64url(Buffer.alloc(12))}.${bomb}.${tag}`, undefined],
        ['JWS signed by the issuer with zip:DEF over a deflate bomb', signCompact(h, oidc.key, { ...header, zip: 'DEF' }, bombBytes), 'token_encrypted'],
        ['JWS signed by the issuer with zip:DEF over real claims', signCompact(h, oidc.key, { ...header, zip: 'DEF' }, deflateRawSync(Buffer.from(JSON.stringify(claims)))), 'token_encrypted'],
        ['JWS with alg PBES2 and p2c=2^31', signCompact(h, oidc.key, { ...header, alg: 'PBES2-HS256+A128KW', p2c: 2 ** 31, p2s: 'AAAAAAAAAAAAAAAAAAAAAA' }, claims, 'ES256'), 'algorithm_not_allowed'],
        ['JWS with p2c=2^31 beside ES256', signCompact(h, oidc.key, { ...header, p2c: 2 ** 31, p2s: 'AAAAAAAAAAAAAAAAAAAAAA' }, claims), 'token_encrypted'],
        ['JWS with enc beside ES256', signCompact(h, oidc.key, { ...header, enc: 'A256GCM' }, claims), 'token_encrypted'],
      ];
      // Nested JWTs (RFC 7519 section 5.2): the outer token signed by the issuer, with its claims or another JWT inside.
      const inner = await oidc.sign(oidc.claims());
      for (const cty of ['JWT', 'jwt', 'application/jwt', 'Application/JWT']) {
        cases.push([`nested cty:${cty} around a JWT`, signCompact(h, oidc.key, { ...header, cty }, inner), 'nested_token_not_allowed']);
        cases.push([`nested cty:${cty} around claims`, signCompact(h, oidc.key, { ...header, cty }, oidc.claims()), 'nested_token_not_allowed']);
      }
      cases.push(['cty that is not a string', signCompact(h, oidc.key, { ...header, cty: { typ: 'JWT' } }, oidc.claims()), 'nested_token_not_allowed']);

      const tokensBefore = await tokens();
      const denialsBefore = (await denials()).length;
      let audited = 0;
      for (const [what, jwt, reason] of cases) {
        h.secrets.add(jwt);
        const cpu = process.cpuUsage();
        const r = await oidc.exchange(jwt);
        const used = process.cpuUsage(cpu);
        refused(r, what);
        // The server runs in this process: its CPU for the whole request (and the client's) stays flat.
        assert.ok((used.user + used.system) / 1000 < 50, `${what}: ${((used.user + used.system) / 1000).toFixed(1)} ms of CPU`);
        assert.ok(r.ms < 500, `${what}: ${r.ms.toFixed(0)} ms`);
        for (const part of jwt.split('.')) if (part.length > 8) assert.ok(!r.text.includes(part.slice(0, 40)), 'the token is not echoed');
        if (reason !== undefined) {
          audited++;
          const [last] = await denials();
          assert.ok(last, `${what}: audited (${r.json.error_description})`);
          assert.equal(last.details?.reason, reason, what);
          assert.equal(last!.details?.check, 'token', what);
          assert.equal(last!.details?.subject, null, 'no subject is read from a token that was never verified');
        }
      }
      assert.equal((await denials()).length, denialsBefore + audited, 'one denial event per refused 3-segment token; 5 segments are malformed requests, refused before any lookup');
      assert.equal(await tokens(), tokensBefore, 'no token was minted');
      await stillWorks();
    });

    it('J16: nbf or iat beyond the leeway in the future, and an iat older than a day (a week, a year), are refused; within bounds pass', async () => {
      const t = h.clock.nowSec();
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['nbf 2 minutes ahead', { nbf: t + 120 }, 'token_not_yet_valid'],
        ['iat 2 minutes ahead', { iat: t + 120, nbf: t }, 'iat_in_future'],
        ['iat a day and 61 s old, exp ahead', { iat: t - DAY - 61, nbf: t - DAY - 61, exp: t + 300 }, 'iat_too_old'],
        ['iat a week old, exp ahead', { iat: t - 7 * DAY, nbf: t - 7 * DAY, exp: t + 300 }, 'iat_too_old'],
        ['iat a year old, exp a year ahead', { iat: t - 365 * DAY, nbf: undefined, exp: t + 365 * DAY }, 'iat_too_old'],
        ['iat 0', { iat: 0, nbf: undefined }, 'iat_too_old'],
      ];
      const tokensBefore = await tokens();
      for (const [what, overrides, reason] of cases) {
        const jwt = await oidc.sign(oidc.claims(overrides));
        refused(await oidc.exchange(jwt), what);
        const [last] = await denials();
        assert.equal(last!.details?.check, 'time', what);
        assert.equal(last!.details?.reason, reason, what);
      }
      assert.equal(await tokens(), tokensBefore);
      // Within bounds: 59 s ahead, and issued 23 hours ago (a long CI job) with exp still ahead.
      for (const overrides of [{ nbf: t + 59, iat: t + 59 }, { iat: t - 23 * 3600, nbf: t - 23 * 3600, exp: t + 300 }, { iat: t - DAY - 59, nbf: undefined, exp: t + 60 }]) {
        const ok = await oidc.exchange(await oidc.sign(oidc.claims(overrides)));
        assert.equal(ok.status, 200, `${JSON.stringify(overrides)}: ${ok.text}`);
      }
      // The dry run applies the same check and says a real exchange would refuse it.
      const old = await oidc.sign(oidc.claims({ iat: t - 7 * DAY, nbf: undefined }));
      const dry = await h.http('POST', `/api/orgs/${oidc.org}/oidc/issuers/${oidc.issuerId}/policies/test`, { token: oidc.admin.token, body: { requestedTokenType: 'organization', subjectToken: old } });
      assert.equal(dry.status, 200, dry.text);
      assert.ok((dry.json.notes as string[]).some((n) => /more than a day ago/.test(n)), JSON.stringify(dry.json.notes));
    });

    it('X11: claims nested thousands of levels deep (inside the size cap) are refused before evaluation, and the refusal is audited', async () => {
      // Written as text: jose (like any recursive code) cannot even build such claims.
      const arrays = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      const objects = `${'{"a":'.repeat(1500)}"leaf"${'}'.repeat(1500)}`;
      /** The issuer's usual claims with `key` replaced by raw JSON text, signed by the issuer. */
      const signWith = (key: string, raw: string) => {
        const rest = JSON.stringify(oidc.claims({ [key]: undefined }));
        return signCompact(h, oidc.key, { alg: 'ES256', kid: oidc.key.jwk.kid, typ: 'JWT' }, `${rest.slice(0, -1)},${JSON.stringify(key)}:${raw}}`);
      };
      const tokensBefore = await tokens();
      for (const [what, jwt] of [
        ['arrays 5000 deep', signWith('deep', arrays)],
        ['objects 1500 deep', signWith('deep', objects)],
        ['the sub claim itself nested', signWith('sub', arrays)],
        ['aud nested', signWith('aud', `[${arrays}]`)],
      ] as const) {
        assert.ok(jwt.length <= 16 * 1024, `${what} fits the 16 KiB cap (${jwt.length})`);
        const before = (await denials()).length;
        const r = await oidc.exchange(jwt);
        refused(r, what);
        assert.match(r.json.error_description, /nested deeper/);
        const after = await denials();
        assert.equal(after.length, before + 1, `${what}: exactly one denial event`);
        assert.equal(after[0]!.details?.reason, 'claims_too_deep');
        assert.equal(after[0]!.details?.check, 'claims');
      }
      // At the limit (32 levels, the claims object being the first) a token is judged as usual.
      let ok: unknown = 'x';
      for (let i = 0; i < 30; i++) ok = [ok];
      assert.equal((await oidc.exchange(await oidc.sign(oidc.claims({ deep: ok })))).status, 200);
      assert.equal(await tokens(), tokensBefore + 1);

      // The dry run: a deep claims object is refused (400), a deep signed token is a denial.
      const dryPath = `/api/orgs/${oidc.org}/oidc/issuers/${oidc.issuerId}/policies/test`;
      const deepClaims = await h.http('POST', dryPath, { token: oidc.admin.token, body: `{"requestedTokenType":"organization","claims":{"sub":"x","deep":${objects}}}` });
      assert.equal(deepClaims.status, 400, deepClaims.text);
      assert.equal(deepClaims.json.reason, 'invalid_request');
      const deepToken = await h.http('POST', dryPath, { token: oidc.admin.token, body: { requestedTokenType: 'organization', subjectToken: signWith('deep', arrays) } });
      assert.equal(deepToken.status, 200, deepToken.text);
      assert.equal(deepToken.json.decision, 'deny');
      assert.equal(deepToken.json.reason, 'claims_too_deep');
      assert.ok(!h.logs.text().includes('"level":50'), 'no error was logged');
      await stillWorks();
    });
  });
}
