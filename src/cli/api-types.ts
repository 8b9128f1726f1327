import type { components, paths } from '../generated/openapi.js';

// The wire shapes the CLI reads, generated from openapi.json (npm run openapi), so the CLI does
// not compile when the API changes under it.
type Schemas = components['schemas'];

/** `GET /api/user`. */
export type ApiUser = Schemas['User'];
/** An element of a token list. */
export type ApiAccessToken = Schemas['AccessToken'];
/** One page of a token list. */
export type ApiTokenList = Schemas['AccessTokenList'];
/** The answer to a token creation; `tokenValue` is the secret, shown once. */
export type ApiCreatedToken = Schemas['CreatedToken'];

/** An OIDC issuer of an organization (API.md section 6). */
export type ApiOidcIssuer = Schemas['OidcIssuer'];
/** `GET /api/orgs/{org}/oidc/issuers`. */
export type ApiOidcIssuerList = paths['/api/orgs/{org}/oidc/issuers']['get']['responses'][200]['content']['application/json'];
/** An issuer's auth policy. */
export type ApiAuthPolicy = Schemas['AuthPolicy'];
/** The answer to `PATCH /api/orgs/{org}/auth/policies/{policyId}`: the policy and advisory warnings. */
export type ApiAuthPolicyReplaced = paths['/api/orgs/{org}/auth/policies/{policyId}']['patch']['responses'][200]['content']['application/json'];
/** An advisory warning about a saved or tested policy list. */
export type ApiPolicyWarning = Schemas['PolicyWarning'];
/** The answer to a policy dry run (`POST …/oidc/issuers/{issuerId}/policies/test`). */
export type ApiPolicyTest = Schemas['PolicyTestResult'];

/** The answer to a successful `POST /api/oauth/token` (API.md section 7); `access_token` is a secret. */
export type ApiTokenExchange = paths['/api/oauth/token']['post']['responses'][200]['content']['application/json'];

/** How the caller is described in one line: `alice`, or `acme (organization token ci)`. */
export function callerLabel(user: ApiUser): string {
  if (!user.tokenInfo) return user.githubLogin;
  const { name, team } = user.tokenInfo;
  return team ? `${user.githubLogin} (team ${team}, token ${name})` : `${user.githubLogin} (organization token ${name})`;
}
