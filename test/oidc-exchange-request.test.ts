import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BODY_FAILURE_DESCRIPTIONS,
  DEFAULT_EXPIRATION_SECONDS,
  EXCHANGE_REQUEST_DESCRIPTIONS,
  KNOWN_PARAMETERS,
  MAX_EXPIRATION_SECONDS,
  MAX_PARAMETERS,
  MAX_SUBJECT_TOKEN_LENGTH,
  formatScope,
  paramsFromForm,
  paramsFromJson,
  parseExchangeRequest,
  requestedTokenTypeUrn,
  toPolicyRequest,
  type ExchangeFailure,
  type ExchangeParams,
  type ExchangeRequest,
  type ExchangeRequestResult,
} from '../src/domain/oidc/exchange-request.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ORG_TYPE = 'urn:pulumi:token-type:access_token:organization';
const TEAM_TYPE = 'urn:pulumi:token-type:access_token:team';
const PERSONAL_TYPE = 'urn:pulumi:token-type:access_token:personal';

/** A recognisable secret that must never show up in an error description. */
const SECRET = 'S3cretMarkerQx9';
/** JWT-shaped (not verified here): header {"alg":"RS256","typ":"JWT"}, any payload, a signature. */
const JWT = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0${SECRET}.c2lnbmF0dXJl${SECRET}_-`;

/** Every description the modules can answer: anything else would be an echo. */
const ALL_DESCRIPTIONS = new Set<string>([
  ...Object.values(EXCHANGE_REQUEST_DESCRIPTIONS).map((d) => d.description),
  ...Object.values(BODY_FAILURE_DESCRIPTIONS),
]);
const OAUTH_CHARSET = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;
const ERRORS = ['invalid_request', 'unsupported_grant_type', 'invalid_target', 'invalid_scope'];

/** A complete, valid organization-token request as a plain object of string arrays. */
function base(over: Record<string, string[] | undefined> = {}): Record<string, string[]> {
  const params: Record<string, string[] | undefined> = {
    grant_type: [GRANT],
    subject_token: [JWT],
    subject_token_type: [ID_TOKEN],
    requested_token_type: [ORG_TYPE],
    audience: ['urn:pulumi:org:acme'],
    ...over,
  };
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = v;
  return out;
}

function ok(result: ExchangeRequestResult): ExchangeRequest {
  assert.ok(result.ok, `expected ok, got ${result.ok ? '' : `${result.error}: ${result.description}`}`);
  return result.request;
}

function refused(result: ExchangeRequestResult | { ok: boolean }, error: ExchangeFailure['error'], reason?: string): ExchangeFailure {
  assert.equal(result.ok, false, 'expected a refusal');
  const f = result as ExchangeFailure;
  assert.equal(f.error, error, `error code (description: ${f.description})`);
  if (reason) assert.equal(f.reason, reason);
  assert.ok(ALL_DESCRIPTIONS.has(f.description), `description is one of the fixed texts: ${f.description}`);
  assert.match(f.description, OAUTH_CHARSET);
  return f;
}

function form(text: string): ExchangeParams {
  const r = paramsFromForm(text);
  assert.ok(r.ok, `form should parse: ${r.ok ? '' : r.description}`);
  return r.params;
}

function json(body: unknown): ExchangeParams {
  const r = paramsFromJson(body);
  assert.ok(r.ok, `json should parse: ${r.ok ? '' : r.description}`);
  return r.params;
}

/** What Go's url.Values{...}.Encode() produces: keys sorted, QueryEscape'd values. */
function goFormEncode(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(values[k]!).replace(/%20/g, '+')}`)
    .join('&');
}

describe('wire compatibility', () => {
  it('the Pulumi CLI form body (every field, scope empty, expiration a string) is accepted', () => {
    const body = goFormEncode({
      audience: 'urn:pulumi:org:acme',
      grant_type: GRANT,
      requested_token_type: ORG_TYPE,
      scope: '',
      subject_token_type: ID_TOKEN,
      subject_token: JWT,
      expiration: '7200',
    });
    assert.match(body, /&scope=&/);
    assert.match(body, /expiration=7200&/);
    const r = ok(parseExchangeRequest(form(body)));
    assert.deepEqual(r, {
      audience: 'acme',
      audienceUris: ['urn:pulumi:org:acme'],
      subjectToken: JWT,
      subjectTokenType: 'id_token',
      requestedTokenType: 'organization',
      scope: { kind: 'organization', admin: false },
      expirationSeconds: 7200,
    });
  });

  it('the Pulumi CLI form body for team and personal tokens and a custom expiration', () => {
    const team = ok(
      parseExchangeRequest(
        form(goFormEncode({ audience: 'urn:pulumi:org:acme', grant_type: GRANT, requested_token_type: TEAM_TYPE, scope: 'team:platform', subject_token_type: ID_TOKEN, subject_token: JWT, expiration: '900' })),
      ),
    );
    assert.deepEqual(team.scope, { kind: 'team', team: 'platform' });
    assert.equal(team.expirationSeconds, 900);
    const personal = ok(
      parseExchangeRequest(
        form(goFormEncode({ audience: 'urn:pulumi:org:acme', grant_type: GRANT, requested_token_type: PERSONAL_TYPE, scope: 'user:alice', subject_token_type: ID_TOKEN, subject_token: JWT, expiration: '7200' })),
      ),
    );
    assert.deepEqual(personal.scope, { kind: 'personal', user: 'alice' });
  });

  it('the pulumi/auth-actions JSON body (numeric expiration, unset fields left out) is accepted', () => {
    const body = { audience: 'urn:pulumi:org:acme', grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: JWT, expiration: 3600 };
    const r = ok(parseExchangeRequest(json(body)));
    assert.equal(r.expirationSeconds, 3600);
    assert.deepEqual(r.scope, { kind: 'organization', admin: false });

    const minimal = { audience: 'urn:pulumi:org:acme', grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: JWT };
    assert.equal(ok(parseExchangeRequest(json(minimal))).expirationSeconds, DEFAULT_EXPIRATION_SECONDS);

    const team = ok(parseExchangeRequest(json({ ...minimal, requested_token_type: TEAM_TYPE, scope: 'team:platform', expiration: 7200 })));
    assert.deepEqual(team.scope, { kind: 'team', team: 'platform' });
  });

  it('a form body without scope and expiration (curl-style clients) is accepted with the default lifetime', () => {
    const body = `subject_token_type=${encodeURIComponent(ID_TOKEN)}&grant_type=${encodeURIComponent(GRANT)}&audience=urn:pulumi:org:acme_org&requested_token_type=${encodeURIComponent(ORG_TYPE)}&subject_token=${JWT}`;
    const r = ok(parseExchangeRequest(form(body)));
    assert.equal(r.audience, 'acme_org');
    assert.equal(r.expirationSeconds, 7200);
  });

  it('a Map and a plain object give the same answer; the jwt subject token type is accepted', () => {
    const params = base({ subject_token_type: [JWT_TYPE] });
    const fromObject = ok(parseExchangeRequest(params));
    const fromMap = ok(parseExchangeRequest(new Map(Object.entries(params))));
    assert.deepEqual(fromObject, fromMap);
    assert.equal(fromObject.subjectTokenType, 'jwt');
  });

  it('formatScope, requestedTokenTypeUrn and toPolicyRequest feed the response and the policy evaluation', () => {
    const admin = ok(parseExchangeRequest(base({ scope: ['admin'] })));
    assert.equal(formatScope(admin.scope), 'admin');
    assert.deepEqual(toPolicyRequest(admin.scope), { tokenType: 'organization', wantsAdmin: true });
    const team = ok(parseExchangeRequest(base({ requested_token_type: [TEAM_TYPE], scope: ['team:platform'] })));
    assert.equal(formatScope(team.scope), 'team:platform');
    assert.deepEqual(toPolicyRequest(team.scope), { tokenType: 'team', teamName: 'platform' });
    const personal = ok(parseExchangeRequest(base({ requested_token_type: [PERSONAL_TYPE], scope: ['user:alice'] })));
    assert.deepEqual(toPolicyRequest(personal.scope), { tokenType: 'personal', userLogin: 'alice' });
    assert.equal(formatScope({ kind: 'organization', admin: false }), '');
    assert.equal(requestedTokenTypeUrn('team'), TEAM_TYPE);
  });
});

describe('catalog T rows', () => {
  it('T01 grant_type missing is invalid_request; client_credentials or an unknown URN is unsupported_grant_type', () => {
    refused(parseExchangeRequest(base({ grant_type: undefined })), 'invalid_request', 'grant_type_missing');
    refused(parseExchangeRequest(base({ grant_type: [''] })), 'invalid_request', 'grant_type_missing');
    refused(parseExchangeRequest(base({ grant_type: ['client_credentials'] })), 'unsupported_grant_type');
    refused(parseExchangeRequest(base({ grant_type: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] })), 'unsupported_grant_type');
    refused(parseExchangeRequest(base({ grant_type: [GRANT.toUpperCase()] })), 'unsupported_grant_type');
    refused(parseExchangeRequest(base({ grant_type: [` ${GRANT}`] })), 'unsupported_grant_type');
  });

  it('T02 subject_token or subject_token_type missing (or empty) is invalid_request', () => {
    refused(parseExchangeRequest(base({ subject_token: undefined })), 'invalid_request', 'subject_token_missing');
    refused(parseExchangeRequest(base({ subject_token: [''] })), 'invalid_request', 'subject_token_missing');
    refused(parseExchangeRequest(base({ subject_token_type: undefined })), 'invalid_request', 'subject_token_type_missing');
    refused(parseExchangeRequest(base({ subject_token_type: [''] })), 'invalid_request', 'subject_token_type_missing');
  });

  it('T03 subject_token_type access_token, saml2 or garbage is invalid_request', () => {
    for (const type of ['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:saml2', 'urn:ietf:params:oauth:token-type:refresh_token', 'garbage', 'id_token', `${ID_TOKEN} `]) {
      refused(parseExchangeRequest(base({ subject_token_type: [type] })), 'invalid_request', 'subject_token_type_unsupported');
    }
  });

  it('T04 actor_token without actor_token_type or the reverse is invalid_request; delegation is refused', () => {
    refused(parseExchangeRequest(base({ actor_token: [JWT] })), 'invalid_request', 'actor_token_type_missing');
    refused(parseExchangeRequest(base({ actor_token_type: [ID_TOKEN] })), 'invalid_request', 'actor_token_missing');
    const f = refused(parseExchangeRequest(base({ actor_token: [JWT], actor_token_type: [ID_TOKEN] })), 'invalid_request', 'delegation_unsupported');
    assert.match(f.description, /delegation is not supported/);
    // Empty counts as omitted.
    ok(parseExchangeRequest(base({ actor_token: [''], actor_token_type: [''] })));
  });

  it('T05 an unsupported or missing requested_token_type is invalid_request', () => {
    for (const type of ['urn:ietf:params:oauth:token-type:access_token', 'urn:pulumi:token-type:access_token:', 'urn:pulumi:token-type:access_token:Organization', 'urn:pulumi:token-type:access_token:admin', 'organization']) {
      refused(parseExchangeRequest(base({ requested_token_type: [type] })), 'invalid_request', 'requested_token_type_unsupported');
    }
    refused(parseExchangeRequest(base({ requested_token_type: undefined })), 'invalid_request', 'requested_token_type_missing');
    refused(parseExchangeRequest(base({ requested_token_type: [''] })), 'invalid_request', 'requested_token_type_missing');
  });

  it('T06 (request part) audience must be one org URN with a valid name: invalid_target otherwise', () => {
    refused(parseExchangeRequest(base({ audience: undefined })), 'invalid_request', 'audience_missing');
    refused(parseExchangeRequest(base({ audience: [''] })), 'invalid_request', 'audience_missing');
    for (const aud of ['https://api.pulumi.com', 'urn:pulumi:org:', 'urn:pulumi:org:-acme', 'urn:pulumi:org:ac me', `urn:pulumi:org:${'a'.repeat(41)}`, 'urn:pulumi:org:acme/x', 'URN:PULUMI:ORG:acme', 'urn:pulumi:user:acme', 'acme']) {
      refused(parseExchangeRequest(base({ audience: [aud] })), 'invalid_target', 'audience_invalid');
    }
    assert.equal(ok(parseExchangeRequest(base({ audience: [`urn:pulumi:org:${'a'.repeat(40)}`] }))).audience, 'a'.repeat(40));
    const tessera = ok(parseExchangeRequest(base({ audience: ['urn:tessera:org:acme'] })));
    assert.equal(tessera.audience, 'acme');
    assert.deepEqual(tessera.audienceUris, ['urn:tessera:org:acme']);
  });

  it('T06/T08 audience and resource may repeat when they name one organization; two organizations are invalid_target', () => {
    const same = ok(parseExchangeRequest(base({ audience: ['urn:pulumi:org:acme', 'urn:pulumi:org:acme', 'urn:tessera:org:acme'], resource: ['urn:pulumi:org:acme'] })));
    assert.equal(same.audience, 'acme');
    assert.deepEqual(same.audienceUris, ['urn:pulumi:org:acme', 'urn:tessera:org:acme']);
    assert.equal(ok(parseExchangeRequest(base({ audience: undefined, resource: ['urn:pulumi:org:acme'] }))).audience, 'acme');
    refused(parseExchangeRequest(base({ audience: ['urn:pulumi:org:acme', 'urn:pulumi:org:other'] })), 'invalid_target', 'audience_conflict');
    refused(parseExchangeRequest(base({ resource: ['urn:pulumi:org:Acme'] })), 'invalid_target', 'audience_conflict');
    refused(parseExchangeRequest(base({ resource: ['https://tessera.example.com'] })), 'invalid_target', 'audience_invalid');
  });

  it('T07 scope must fit the requested token type: invalid_scope otherwise', () => {
    assert.deepEqual(ok(parseExchangeRequest(base({ scope: ['admin'] }))).scope, { kind: 'organization', admin: true });
    for (const scope of ['team:platform', 'user:alice', 'read', 'Admin', 'admin ', 'admin team:x', 'admin admin']) {
      refused(parseExchangeRequest(base({ scope: [scope] })), 'invalid_scope', 'scope_organization');
    }
    const team = (scope?: string) => parseExchangeRequest(base({ requested_token_type: [TEAM_TYPE], scope: scope === undefined ? undefined : [scope] }));
    refused(team(), 'invalid_scope', 'scope_team');
    refused(team(''), 'invalid_scope', 'scope_team');
    refused(team('admin'), 'invalid_scope', 'scope_team');
    refused(team('user:alice'), 'invalid_scope', 'scope_team');
    refused(team('team:'), 'invalid_scope', 'scope_team_name');
    refused(team('team:plat form'), 'invalid_scope', 'scope_team_name');
    refused(team('team:platform admin'), 'invalid_scope', 'scope_team_name');
    refused(team(`team:${'t'.repeat(41)}`), 'invalid_scope', 'scope_team_name');
    assert.deepEqual(ok(team('team:a.b-c_d')).scope, { kind: 'team', team: 'a.b-c_d' });
    const personal = (scope?: string) => parseExchangeRequest(base({ requested_token_type: [PERSONAL_TYPE], scope: scope === undefined ? undefined : [scope] }));
    refused(personal(), 'invalid_scope', 'scope_personal');
    refused(personal('team:platform'), 'invalid_scope', 'scope_personal');
    refused(personal('user:'), 'invalid_scope', 'scope_personal_login');
    refused(personal(`user:${'u'.repeat(40)}`), 'invalid_scope', 'scope_personal_login');
    assert.deepEqual(ok(personal(`user:${'u'.repeat(39)}`)).scope, { kind: 'personal', user: 'u'.repeat(39) });
  });

  it('T08 subject_token, grant_type, scope or any other non-audience parameter given twice is invalid_request', () => {
    for (const name of KNOWN_PARAMETERS.filter((n) => n !== 'audience' && n !== 'resource')) {
      const params = base();
      const first = params[name]?.[0] ?? 'x';
      refused(parseExchangeRequest({ ...params, [name]: [first, first] }), 'invalid_request', 'repeated_parameter');
    }
    // From a form body, as an attacker would send it; an empty twin counts too.
    const cli = goFormEncode({ audience: 'urn:pulumi:org:acme', grant_type: GRANT, requested_token_type: ORG_TYPE, subject_token_type: ID_TOKEN, subject_token: JWT });
    refused(parseExchangeRequest(form(`${cli}&subject_token=${JWT}`)), 'invalid_request', 'repeated_parameter');
    refused(parseExchangeRequest(form(`${cli}&grant_type=${encodeURIComponent(GRANT)}`)), 'invalid_request', 'repeated_parameter');
    refused(parseExchangeRequest(form(`${cli}&scope=&scope=admin`)), 'invalid_request', 'repeated_parameter');
    refused(parseExchangeRequest(form(`${cli}&expiration=60&expiration=`)), 'invalid_request', 'repeated_parameter');
    // From JSON, an array is a repeated parameter.
    refused(parseExchangeRequest(json({ ...Object.fromEntries(Object.entries(base()).map(([k, v]) => [k, v[0]])), subject_token: [JWT, JWT] })), 'invalid_request', 'repeated_parameter');
    // Repeated audience is allowed.
    ok(parseExchangeRequest(form(`${cli}&audience=urn:pulumi:org:acme`)));
  });

  it('T09 an empty scope is treated as omitted and unknown parameters are ignored', () => {
    assert.deepEqual(ok(parseExchangeRequest(base({ scope: [''] }))).scope, { kind: 'organization', admin: false });
    ok(parseExchangeRequest(base({ client_id: ['x', 'y'], client_secret: ['z'], foo: [''], Grant_Type: ['client_credentials'] })));
    const cli = goFormEncode({ audience: 'urn:pulumi:org:acme', grant_type: GRANT, requested_token_type: ORG_TYPE, subject_token_type: ID_TOKEN, subject_token: JWT });
    ok(parseExchangeRequest(form(`${cli}&foo=1&foo=2&bar&=baz`)));
    ok(parseExchangeRequest(json({ ...Object.fromEntries(Object.entries(base()).map(([k, v]) => [k, v[0]])), extra: { nested: true }, flag: false, n: null })));
  });

  it('T13 no description echoes the subject token or any other value, and all use the RFC 6749 charset', () => {
    for (const { description } of Object.values(EXCHANGE_REQUEST_DESCRIPTIONS)) assert.match(description, OAUTH_CHARSET);
    for (const description of Object.values(BODY_FAILURE_DESCRIPTIONS)) assert.match(description, OAUTH_CHARSET);
    const withSecret = `x${SECRET}`;
    const cases: Record<string, string[] | undefined>[] = [
      { grant_type: [withSecret] },
      { grant_type: undefined },
      { subject_token: [`${JWT}.${SECRET}.${SECRET}`] },
      { subject_token: [`${JWT}"\\<script>`] },
      { subject_token: [`${JWT}${'A'.repeat(MAX_SUBJECT_TOKEN_LENGTH)}`] },
      { subject_token_type: [withSecret] },
      { actor_token: [JWT] },
      { actor_token: [JWT], actor_token_type: [withSecret] },
      { requested_token_type: [withSecret] },
      { audience: [`urn:pulumi:org:${SECRET}"\\`] },
      { audience: ['urn:pulumi:org:acme', `urn:pulumi:org:${SECRET}`] },
      { scope: [withSecret] },
      { requested_token_type: [TEAM_TYPE], scope: [`team:${SECRET}"`] },
      { requested_token_type: [PERSONAL_TYPE], scope: [`user:${SECRET}\u0000`] },
      { expiration: [withSecret] },
      { expiration: [`-${SECRET.length}`] },
      { subject_token: [JWT, JWT] },
    ];
    for (const over of cases) {
      const f = parseExchangeRequest(base(over));
      assert.equal(f.ok, false, JSON.stringify(Object.keys(over)));
      if (f.ok) continue;
      assert.ok(!f.description.includes(SECRET), 'the description must not contain the secret');
      assert.ok(!f.description.includes(JWT.slice(0, 20)), 'the description must not contain the subject token');
      assert.ok(ALL_DESCRIPTIONS.has(f.description));
      assert.match(f.description, OAUTH_CHARSET);
      assert.ok(ERRORS.includes(f.error));
    }
  });
});

describe('catalog J rows: subject token size and shape', () => {
  it('J24 a subject token over 16 KiB is refused before anything parses it, quickly even at 2 MB', () => {
    const longest = `${'a'.repeat(MAX_SUBJECT_TOKEN_LENGTH - 4)}.b.c`;
    assert.equal(longest.length, MAX_SUBJECT_TOKEN_LENGTH);
    ok(parseExchangeRequest(base({ subject_token: [longest] })));
    refused(parseExchangeRequest(base({ subject_token: [`a${longest}`] })), 'invalid_request', 'subject_token_too_large');
    const huge = `${'e'.repeat(1024 * 1024)}.${'e'.repeat(1024 * 1024)}.x`;
    const started = performance.now();
    refused(parseExchangeRequest(base({ subject_token: [huge] })), 'invalid_request', 'subject_token_too_large');
    assert.ok(performance.now() - started < 50, 'refused in under 50 ms');
  });

  it('J24 10k dots, or any character outside base64url and the dot, is invalid_request', () => {
    refused(parseExchangeRequest(base({ subject_token: ['.'.repeat(10_000)] })), 'invalid_request', 'subject_token_malformed');
    for (const bad of [`${JWT}=`, `${JWT} `, ` ${JWT}`, JWT.replace('.', '+.'), JWT.replace('.', '/.'), `${JWT}\n`, `Bearer ${JWT}`, `${JWT}é`, `${JWT}\u0000`]) {
      refused(parseExchangeRequest(base({ subject_token: [bad] })), 'invalid_request', 'subject_token_malformed');
    }
  });

  it('J11 a JWE (5 segments) is refused as encrypted; other segment counts and empty header or payload as malformed', () => {
    refused(parseExchangeRequest(base({ subject_token: ['eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00iLCJ6aXAiOiJERUYifQ.a2V5.aXY.Y2lwaGVy.dGFn'] })), 'invalid_request', 'subject_token_encrypted');
    for (const bad of ['abc', 'a.b', 'a.b.c.d', 'a.b.c.d.e.f', '.b.c', 'a..c', '..', 'a.b.c.']) {
      refused(parseExchangeRequest(base({ subject_token: [bad] })), 'invalid_request', 'subject_token_malformed');
    }
    // An empty signature (alg none) passes here: the verifier refuses it with its own reason (J01/J03).
    ok(parseExchangeRequest(base({ subject_token: ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'] })));
  });
});

describe('expiration', () => {
  it('a number or a numeric string of seconds; absent or empty means 7200', () => {
    assert.equal(ok(parseExchangeRequest(base({ expiration: ['3600'] }))).expirationSeconds, 3600);
    assert.equal(ok(parseExchangeRequest(base({ expiration: [''] }))).expirationSeconds, 7200);
    assert.equal(ok(parseExchangeRequest(base({ expiration: ['1'] }))).expirationSeconds, 1);
    assert.equal(ok(parseExchangeRequest(base({ expiration: [String(MAX_EXPIRATION_SECONDS)] }))).expirationSeconds, MAX_EXPIRATION_SECONDS);
    const jsonBody = (expiration: unknown) => json({ ...Object.fromEntries(Object.entries(base()).map(([k, v]) => [k, v[0]])), expiration });
    assert.equal(ok(parseExchangeRequest(jsonBody(86400))).expirationSeconds, 86400);
    assert.equal(ok(parseExchangeRequest(jsonBody('86400'))).expirationSeconds, 86400);
    assert.equal(ok(parseExchangeRequest(jsonBody(null))).expirationSeconds, 7200);
    assert.equal(ok(parseExchangeRequest(jsonBody(1e3))).expirationSeconds, 1000);
    refused(parseExchangeRequest(jsonBody(0)), 'invalid_request', 'expiration_not_positive');
    refused(parseExchangeRequest(jsonBody(-0)), 'invalid_request', 'expiration_not_positive');
    refused(parseExchangeRequest(jsonBody(-60)), 'invalid_request', 'expiration_not_positive');
    refused(parseExchangeRequest(jsonBody(1.5)), 'invalid_request', 'expiration_not_integer');
    refused(parseExchangeRequest(jsonBody(1e21)), 'invalid_request', 'expiration_not_integer');
    refused(parseExchangeRequest(jsonBody(1e-7)), 'invalid_request', 'expiration_not_integer');
    refused(parseExchangeRequest(jsonBody(Number.NaN)), 'invalid_request', 'expiration_not_integer');
    refused(paramsFromJson({ ...Object.fromEntries(Object.entries(base()).map(([k, v]) => [k, v[0]])), expiration: true }) as ExchangeRequestResult, 'invalid_request', 'value_not_string');
  });

  it('0, negative, non-integer, non-numeric or absurd values are invalid_request', () => {
    const cases: [string, string][] = [
      ['0', 'expiration_not_positive'],
      ['000', 'expiration_not_positive'],
      ['-5', 'expiration_not_positive'],
      ['-1.5', 'expiration_not_positive'],
      ['1.5', 'expiration_not_integer'],
      ['7200.0', 'expiration_not_integer'],
      ['abc', 'expiration_not_integer'],
      ['2h', 'expiration_not_integer'],
      ['1e3', 'expiration_not_integer'],
      [' 7200', 'expiration_not_integer'],
      ['+7200', 'expiration_not_integer'],
      ['0x10', 'expiration_not_integer'],
      ['Infinity', 'expiration_not_integer'],
      [String(MAX_EXPIRATION_SECONDS + 1), 'expiration_too_large'],
      ['9'.repeat(400), 'expiration_too_large'],
    ];
    for (const [value, reason] of cases) refused(parseExchangeRequest(base({ expiration: [value] })), 'invalid_request', reason);
  });
});

describe('paramsFromForm', () => {
  it('keeps every occurrence in order, with URLSearchParams decoding', () => {
    const p = form('a=1&b=x+y&a=2&&c&a=%2B%3D%26&d=%C3%A9%F0%9F%94%91&=e');
    assert.deepEqual([...p.entries()], [
      ['a', ['1', '2', '+=&']],
      ['b', ['x y']],
      ['c', ['']],
      ['d', ['é🔑']],
      ['', ['e']],
    ]);
    assert.deepEqual([...form('').entries()], []);
  });

  it('refuses bodies that are not valid UTF-8 form encoding', () => {
    for (const bad of ['a=%', 'a=%4', 'a=%zz', 'a%=1', 'a=%FF', 'a=%C0%AF', 'a=%ED%A0%80', 'a=%E2%82', 'a=\uD800', '\uDC00=1']) {
      const r = paramsFromForm(bad);
      refused(r as ExchangeRequestResult, 'invalid_request');
    }
    refused(paramsFromForm(new Uint8Array([0x61, 0x3d, 0xff])) as ExchangeRequestResult, 'invalid_request', 'form_not_utf8');
    const bytes = paramsFromForm(new TextEncoder().encode('a=%C3%A9&b=é'));
    assert.ok(bytes.ok);
    assert.deepEqual([...bytes.params.entries()], [['a', ['é']], ['b', ['é']]]);
  });

  it(`refuses more than ${MAX_PARAMETERS} parameters`, () => {
    refused(paramsFromForm(Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => `p${i}=1`).join('&')) as ExchangeRequestResult, 'invalid_request', 'too_many_parameters');
    assert.ok(paramsFromForm(Array.from({ length: MAX_PARAMETERS }, (_, i) => `p${i}=1`).join('&')).ok);
  });

  it('agrees with URLSearchParams on every body it accepts (property)', () => {
    const piece = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('&', '=', '+', '%', '%2', '%41', '%C3%A9', '%FF', '%26', '%3D'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
        const text = pieces.join('');
        const r = paramsFromForm(text);
        if (!r.ok) {
          assert.equal(r.error, 'invalid_request');
          assert.ok(ALL_DESCRIPTIONS.has(r.description));
          return;
        }
        const ours = [...r.params.entries()].flatMap(([k, vs]) => vs.map((v) => [k, v]));
        const theirs = [...new URLSearchParams(text)];
        assert.deepEqual(ours.sort(), theirs.sort());
      }),
      { numRuns: 500 },
    );
  });
});

describe('paramsFromJson', () => {
  it('reads strings, numbers, arrays (repeats) and null (omitted); refuses other bodies and values', () => {
    const p = json({ audience: ['urn:pulumi:org:a', 'urn:pulumi:org:a'], expiration: 60, scope: null, subject_token: 'x', other: { deep: 1 } });
    assert.deepEqual([...p.entries()], [
      ['audience', ['urn:pulumi:org:a', 'urn:pulumi:org:a']],
      ['expiration', ['60']],
      ['subject_token', ['x']],
    ]);
    for (const body of [null, 'grant_type=x', 42, [], [{}], undefined]) refused(paramsFromJson(body) as ExchangeRequestResult, 'invalid_request', 'body_not_object');
    for (const value of [true, {}, [[JWT]], [true]]) refused(paramsFromJson({ subject_token: value }) as ExchangeRequestResult, 'invalid_request', 'value_not_string');
    refused(paramsFromJson({ audience: Array.from({ length: MAX_PARAMETERS + 1 }, () => 'urn:pulumi:org:a') }) as ExchangeRequestResult, 'invalid_request', 'too_many_parameters');
  });

  it('a __proto__ key from JSON.parse is an ordinary unknown parameter', () => {
    const body: unknown = JSON.parse(`{"__proto__": {"grant_type": "x"}, ${Object.entries(base()).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v[0])}`).join(', ')}}`);
    ok(parseExchangeRequest(json(body)));
  });
});

describe('property: random parameters never throw and always give a well-formed result', () => {
  const names = fc.oneof(fc.constantFrom(...KNOWN_PARAMETERS), fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString'));
  const values = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', GRANT, ID_TOKEN, JWT_TYPE, ORG_TYPE, TEAM_TYPE, PERSONAL_TYPE, JWT, 'urn:pulumi:org:acme', 'urn:tessera:org:acme', 'urn:pulumi:org:other', 'admin', 'team:platform', 'user:alice', '7200', '0', '-1', '1.5', 'a.b.c', 'a.b.c.d.e'),
  );
  const paramMap = fc.array(fc.tuple(names, fc.array(values, { minLength: 0, maxLength: 3 })), { maxLength: 14 });

  function checkWellFormed(result: ExchangeRequestResult): void {
    if (!result.ok) {
      assert.ok(ERRORS.includes(result.error));
      assert.ok(ALL_DESCRIPTIONS.has(result.description), `unknown description: ${result.description}`);
      assert.match(result.description, OAUTH_CHARSET);
      assert.equal(EXCHANGE_REQUEST_DESCRIPTIONS[result.reason as keyof typeof EXCHANGE_REQUEST_DESCRIPTIONS]?.error ?? result.error, result.error);
      return;
    }
    const r = result.request;
    assert.match(r.audience, /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/);
    assert.ok(r.audienceUris.length >= 1);
    assert.ok(['id_token', 'jwt'].includes(r.subjectTokenType));
    assert.ok(r.subjectToken.length <= MAX_SUBJECT_TOKEN_LENGTH && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(r.subjectToken));
    assert.equal(r.scope.kind, r.requestedTokenType);
    assert.ok(Number.isSafeInteger(r.expirationSeconds) && r.expirationSeconds >= 1 && r.expirationSeconds <= MAX_EXPIRATION_SECONDS);
  }

  it('as a Map and as a plain object', () => {
    fc.assert(
      fc.property(paramMap, (entries) => {
        const map = new Map<string, string[]>();
        for (const [k, vs] of entries) map.set(k, [...(map.get(k) ?? []), ...vs]);
        const fromMap = parseExchangeRequest(map);
        checkWellFormed(fromMap);
        const obj: Record<string, string[]> = Object.create(null);
        for (const [k, vs] of map) obj[k] = vs;
        assert.deepEqual(parseExchangeRequest(obj), fromMap);
      }),
      { numRuns: 1000 },
    );
  });

  it('near-valid requests: one field replaced by a random value', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN_PARAMETERS), fc.array(values, { maxLength: 2 }), (name, vs) => {
        checkWellFormed(parseExchangeRequest(base({ [name]: vs })));
      }),
      { numRuns: 1000 },
    );
  });

  it('through paramsFromJson with arbitrary JSON values, and with untyped garbage', () => {
    fc.assert(
      fc.property(fc.dictionary(names, fc.oneof(values, fc.jsonValue(), fc.array(values, { maxLength: 3 }))), (body) => {
        const params = paramsFromJson(body);
        if (!params.ok) {
          assert.ok(ALL_DESCRIPTIONS.has(params.description));
          return;
        }
        checkWellFormed(parseExchangeRequest(params.params));
      }),
      { numRuns: 500 },
    );
    for (const garbage of [null, undefined, 42, 'x', [], new Map([['grant_type', 'x']]), { grant_type: 'x' }, { grant_type: [1] }, { subject_token: null }]) {
      checkWellFormed(parseExchangeRequest(garbage as unknown as ExchangeParams));
    }
  });
});
