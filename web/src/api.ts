// The console's only way to the server: the HTTP API, typed from openapi.json.
import type { components, paths as ApiPaths } from '../../src/generated/openapi';

export type Schemas = components['schemas'];
export type AccessToken = Schemas['AccessToken'];
export type AccessTokenList = Schemas['AccessTokenList'];
export type CreatedToken = Schemas['CreatedToken'];
export type User = Schemas['User'];
export type Organization = Schemas['Organization'];
export type OrganizationMember = Schemas['OrganizationMember'];
export type Team = Schemas['Team'];
export type TeamDetail = Schemas['TeamDetail'];
export type RestError = Schemas['Error'];

/** The session reply (API.md section 8). */
export type Session = Schemas['Session'];
/** A local account, as site administrators see it. */
export type SiteUser = Schemas['Account'];
export type AuditEvent = Schemas['AuditLogEvent'];
export type AuditLogList = Schemas['AuditLogList'];
export type ExpiringToken = Schemas['ExpirationToken'];
export type Expirations = Schemas['TokenExpirations'];
/** A pending membership invitation, as its invitee and the organization's admins see it. */
export type Invitation = Schemas['Invitation'];
export type InvitationList = Schemas['InvitationList'];

/** The JSON body of a GET's 200 reply, for replies that have no named schema. */
type GetReply<P extends keyof ApiPaths> = ApiPaths[P]['get'] extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : never;
export type MemberList = GetReply<'/api/orgs/{org}/members'>;
export type TeamList = GetReply<'/api/orgs/{org}/teams'>;
export type SiteUserList = GetReply<'/api/users'>;

export type OidcIssuer = Schemas['OidcIssuer'];
export type OidcIssuerList = GetReply<'/api/orgs/{org}/oidc/issuers'>;
export type AuthPolicy = Schemas['AuthPolicy'];
export type AuthPolicyDefinition = Schemas['AuthPolicyDefinition'];
/** The JSON body of a PATCH's 200 reply. */
type PatchReply<P extends keyof ApiPaths> = ApiPaths[P]['patch'] extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : never;
/** A saved policy list, with the server's advice on policies that admit more than meant. */
export type SavedAuthPolicy = PatchReply<'/api/orgs/{org}/auth/policies/{policyId}'>;
export type PolicyWarning = Schemas['PolicyWarning'];
export type PolicyTestResult = Schemas['PolicyTestResult'];
export type PolicyTraceEntry = Schemas['PolicyTraceEntry'];
export type ExaminedClaim = Schemas['ExaminedClaim'];
export type OidcExchange = Schemas['OidcExchange'];
export type OidcExchangeList = GetReply<'/api/orgs/{org}/oidc/exchanges'>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly requestId: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthorized: () => void = () => {};
let onReauthenticationRequired: () => Promise<boolean> = async () => false;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}
/**
 * What to do when an action needs the password again (403 reauthentication_required, catalog
 * W08): ask for it and resolve true once the session is re-authenticated, false when the person
 * gave up. The action is then retried once.
 */
export function setReauthenticationHandler(handler: () => Promise<boolean>): void {
  onReauthenticationRequired = handler;
}

const enc = encodeURIComponent;
export const paths = {
  personalTokens: () => '/api/user/tokens',
  orgTokens: (org: string) => `/api/orgs/${enc(org)}/tokens`,
  teamTokens: (org: string, team: string) => `/api/orgs/${enc(org)}/teams/${enc(team)}/tokens`,
  org: (org: string) => `/api/orgs/${enc(org)}`,
  members: (org: string) => `/api/orgs/${enc(org)}/members`,
  member: (org: string, login: string) => `/api/orgs/${enc(org)}/members/${enc(login)}`,
  teams: (org: string) => `/api/orgs/${enc(org)}/teams`,
  team: (org: string, team: string) => `/api/orgs/${enc(org)}/teams/${enc(team)}`,
  teamMember: (org: string, team: string, login: string) => `/api/orgs/${enc(org)}/teams/${enc(team)}/members/${enc(login)}`,
  auditLogs: (org: string) => `/api/orgs/${enc(org)}/auditlogs`,
  auditExport: (org: string, format: 'csv' | 'json') => `/api/orgs/${enc(org)}/auditlogs/export?format=${format}`,
  expirations: (org: string, within: number) => `/api/orgs/${enc(org)}/tokens/expirations?within=${within}`,
  oidcIssuers: (org: string) => `/api/orgs/${enc(org)}/oidc/issuers`,
  oidcIssuer: (org: string, id: string) => `/api/orgs/${enc(org)}/oidc/issuers/${enc(id)}`,
  regenerateThumbprints: (org: string, id: string) => `/api/orgs/${enc(org)}/oidc/issuers/${enc(id)}/regenerate-thumbprints`,
  issuerPolicy: (org: string, issuerId: string) => `/api/orgs/${enc(org)}/auth/policies/oidcissuers/${enc(issuerId)}`,
  authPolicy: (org: string, policyId: string) => `/api/orgs/${enc(org)}/auth/policies/${enc(policyId)}`,
  policyTest: (org: string, issuerId: string) => `/api/orgs/${enc(org)}/oidc/issuers/${enc(issuerId)}/policies/test`,
  oidcExchanges: (org: string) => `/api/orgs/${enc(org)}/oidc/exchanges`,
  myInvitations: () => '/api/user/invitations',
  acceptInvitation: (id: string) => `/api/user/invitations/${enc(id)}/accept`,
  declineInvitation: (id: string) => `/api/user/invitations/${enc(id)}/decline`,
  orgInvitations: (org: string) => `/api/orgs/${enc(org)}/invitations`,
  orgInvitation: (org: string, id: string) => `/api/orgs/${enc(org)}/invitations/${enc(id)}`,
  reauthenticate: () => '/api/session/reauthenticate',
};

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One API call. Every request says it comes from the console; state-changing ones carry the
 * session's CSRF token. A 401 outside the session endpoints means the session ended. An action
 * refused for want of a recent password proof asks for the password and is retried once.
 */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  try {
    return await send<T>(method, path, body);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 403 && err.reason === 'reauthentication_required')) throw err;
    if (!(await onReauthenticationRequired())) throw err;
    return send<T>(method, path, body);
  }
}

async function send<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'X-Tessera-Client': 'console', Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached', '');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = (data ?? {}) as Partial<RestError> & { reason?: string; requestId?: string };
    const err = new ApiError(res.status, e.reason ?? 'http_' + res.status, e.message ?? res.statusText, e.requestId ?? res.headers.get('x-request-id') ?? '');
    if (res.status === 401 && !path.startsWith('/api/session') && !path.startsWith('/api/setup')) onUnauthorized();
    throw err;
  }
  return data as T;
}

export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}
