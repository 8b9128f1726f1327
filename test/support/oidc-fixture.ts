import assert from 'node:assert/strict';
import { constants as cryptoConstants, KeyObject, randomUUID, sign as rawSign } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { call, type Harness } from './harness.js';

/**
 * OIDC test helpers: signing keys, GitHub Actions' claim set, issuer registration with a static key
 * set (no fetch), policies, and the exchange request as auth-actions sends it (JSON).
 */

export const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
export const ORG_TYPE = 'urn:pulumi:token-type:access_token:organization';
export const SUB = 'repo:acme/app:ref:refs/heads/main';

export interface SigningKey {
  privateKey: CryptoKey;
  /** The public JWK, with kid, alg and use. */
  jwk: JWK;
}

export async function makeSigningKey(alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256', kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
}

/** GitHub Actions' claim set for `iss`, valid at `nowSec`; `undefined` overrides remove a claim. */
export function ghClaims(iss: string, org: string, nowSec: number, overrides: Record<string, unknown> = {}): JWTPayload {
  const claims: Record<string, unknown> = {
    iss,
    sub: SUB,
    aud: `urn:pulumi:org:${org}`,
    repository: 'acme/app',
    repository_owner: 'acme',
    repository_id: '123456',
    repository_owner_id: '654321',
    ref: 'refs/heads/main',
    environment: 'prod',
    job_workflow_ref: 'acme/app/.github/workflows/deploy.yml@refs/heads/main',
    iat: nowSec,
    nbf: nowSec,
    exp: nowSec + 300,
    jti: randomUUID(),
    ...overrides,
  };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return claims as JWTPayload;
}

/**
 * Signs `claims` with `key`, with GitHub Actions' header (`typ`, `alg`, `x5t`, `kid`); the JWT is
 * registered as a secret the harness checks never leaks.
 */
export async function signJwt(h: Harness, key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const githubHeader = { typ: 'JWT', alg: key.jwk.alg as string, x5t: 'cv-thumbprint-of-the-signing-certificate', kid: key.jwk.kid };
  const jwt = await new SignJWT(claims).setProtectedHeader({ ...githubHeader, ...header } as never).sign(key.privateKey);
  h.secrets.add(jwt);
  return jwt;
}

/** Registers an issuer with a static key set; returns its id. */
export async function registerStaticIssuer(h: Harness, adminToken: string, org: string, name: string, url: string, keys: JWK[]): Promise<string> {
  const res = await call(h, 'POST', `/api/orgs/${org}/oidc/issuers`, { token: adminToken, body: { name, url, jwks: { keys } } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().id as string;
}

/** Replaces an issuer's policy list; returns the saved AuthPolicy with its warnings. */
export async function setPolicies(h: Harness, adminToken: string, org: string, issuerId: string, policies: unknown[]): Promise<{ id: string; version: number }> {
  const policyId = (await call(h, 'GET', `/api/orgs/${org}/auth/policies/oidcissuers/${issuerId}`, { token: adminToken })).json().id as string;
  const res = await call(h, 'PATCH', `/api/orgs/${org}/auth/policies/${policyId}`, { token: adminToken, body: { policies } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** An exchange with a JSON body, as auth-actions sends it. */
export function exchangeJson(h: Harness, org: string, subjectToken: string, extra: Record<string, unknown> = {}): Promise<LightMyRequestResponse> {
  const body = { audience: `urn:pulumi:org:${org}`, grant_type: GRANT, subject_token_type: ID_TOKEN, requested_token_type: ORG_TYPE, subject_token: subjectToken, expiration: 3600, ...extra };
  return h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

/**
 * base64url of one JWS segment: a Buffer as its bytes, a string as its UTF-8 text (so hand-written
 * JSON with duplicate keys stays as written), anything else as its JSON.
 */
export function b64url(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/**
 * A compact JWS signed by hand over exactly the given segments (node:crypto, no jose checks), for
 * headers and payloads jose refuses to produce. `header` and `payload` are encoded with b64url;
 * the algorithm is `alg` (default: the key's). Registered as a harness secret.
 */
export function signCompact(h: Harness, key: SigningKey | CryptoKey | KeyObject, header: unknown, payload: unknown, alg?: string): string {
  const privateKey = key instanceof KeyObject ? key : KeyObject.from('privateKey' in key ? key.privateKey : key);
  const input = `${b64url(header)}.${b64url(payload)}`;
  const name = alg ?? (('jwk' in key ? key.jwk.alg : undefined) as string | undefined) ?? 'ES256';
  const hash = `sha${name.slice(2) === 'DSA' ? '256' : name.slice(2)}`;
  let sig: Buffer;
  if (name === 'EdDSA') sig = rawSign(null, Buffer.from(input), privateKey);
  else if (name.startsWith('ES')) sig = rawSign(hash, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  else if (name.startsWith('PS')) sig = rawSign(hash, Buffer.from(input), { key: privateKey, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: Number(name.slice(2)) / 8 });
  else sig = rawSign(hash, Buffer.from(input), privateKey);
  const jwt = `${input}.${sig.toString('base64url')}`;
  h.secrets.add(jwt);
  return jwt;
}

/** An exchange with a form body, as the Pulumi CLI sends it; pairs keep repeats and order. */
export function exchangeForm(h: Harness, pairs: ReadonlyArray<readonly [string, string]> | string, contentType = 'application/x-www-form-urlencoded'): Promise<LightMyRequestResponse> {
  const payload = typeof pairs === 'string' ? pairs : new URLSearchParams(pairs as [string, string][]).toString();
  return h.app.inject({ method: 'POST', url: '/api/oauth/token', headers: { 'content-type': contentType }, payload });
}

/** The policy dry run: `POST /api/orgs/{org}/oidc/issuers/{issuerId}/policies/test`. */
export function testPoliciesCall(h: Harness, adminToken: string, org: string, issuerId: string, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return call(h, 'POST', `/api/orgs/${org}/oidc/issuers/${issuerId}/policies/test`, { token: adminToken, body });
}
