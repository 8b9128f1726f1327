import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DatabaseKind } from './databases.js';
import { makeOrg, makePerson, startHarness, uniqueName, type Harness } from './harness.js';
import { ghClaims, GRANT, ID_TOKEN, makeSigningKey, ORG_TYPE, signJwt, SUB, type SigningKey } from './oidc-fixture.js';

/** A harness whose app listens on 127.0.0.1, for attacks driven over real HTTP. */
export interface LiveHarness extends Harness {
  base: string;
  port: number;
  /** One request over a fresh connection; any header (Host included) is sent as given. */
  http(method: string, path: string, opts?: LiveRequest): Promise<LiveResponse>;
}

export interface LiveRequest {
  token?: string;
  /** JSON-encoded unless a string or Buffer (then sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface LiveResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  /** Wall-clock milliseconds from sending to the end of the response. */
  ms: number;
}

export async function startLive(kind: DatabaseKind, options: Parameters<typeof startHarness>[1] = {}): Promise<LiveHarness> {
  const h = await startHarness(kind, options);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.app.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const request = (method: string, path: string, opts: LiveRequest = {}): Promise<LiveResponse> => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers.authorization = `token ${opts.token}`;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (String(res.headers['content-type'] ?? '').includes('json') && text !== '') json = JSON.parse(text);
          if (text.includes('tokenValue') || text.includes('access_token')) {
            const v = (json as { tokenValue?: string; access_token?: string } | undefined) ?? {};
            if (v.tokenValue) h.secrets.add(v.tokenValue);
            if (v.access_token) h.secrets.add(v.access_token);
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json, ms: performance.now() - started });
        });
      });
      req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(payload);
    });
  };
  return Object.assign(h, { base, port, http: request });
}

/** An organization with an admin and a static-key issuer whose policies allow organization tokens for `SUB`. */
export interface LiveIssuer {
  admin: { token: string; login: string };
  org: string;
  issuerId: string;
  url: string;
  key: SigningKey;
  /** GitHub Actions claims valid now on the harness clock. */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** POST /api/oauth/token with a JSON body over HTTP. */
  exchange(subjectToken: string, extra?: Record<string, unknown>): Promise<LiveResponse>;
  /** The organization's audit events, newest first. */
  audit(): Promise<Array<{ action: string; details: Record<string, unknown> | null }>>;
}

export async function liveIssuer(h: LiveHarness, name = uniqueName('live')): Promise<LiveIssuer> {
  const admin = await makePerson(h);
  const org = await makeOrg(h, admin.user, name);
  const key = await makeSigningKey('ES256');
  const url = `http://127.0.0.1:9/${name}`;
  const reg = await h.http('POST', `/api/orgs/${org.name}/oidc/issuers`, { token: admin.token, body: { name: 'static', url, jwks: { keys: [key.jwk] } } });
  if (reg.status !== 200) throw new Error(`issuer registration failed: ${reg.text}`);
  const issuerId = reg.json.id as string;
  const policy = await h.http('GET', `/api/orgs/${org.name}/auth/policies/oidcissuers/${issuerId}`, { token: admin.token });
  const saved = await h.http('PATCH', `/api/orgs/${org.name}/auth/policies/${policy.json.id}`, {
    token: admin.token,
    body: { policies: [{ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules: { sub: SUB } }] },
  });
  if (saved.status !== 200) throw new Error(`policies failed: ${saved.text}`);
  return {
    admin: { token: admin.token, login: admin.user.login },
    org: org.name,
    issuerId,
    url,
    key,
    claims: (overrides = {}) => ghClaims(url, org.name, h.clock.nowSec(), overrides) as Record<string, unknown>,
    sign: (claims, header = {}) => signJwt(h, key, claims, header),
    exchange: (subjectToken, extra = {}) =>
      h.http('POST', '/api/oauth/token', {
        body: { grant_type: GRANT, audience: `urn:pulumi:org:${org.name}`, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: subjectToken, ...extra },
      }),
    audit: async () => (await h.deps.store.listAudit(org.id, 10_000)).map((e) => ({ action: e.action, details: e.details })),
  };
}
