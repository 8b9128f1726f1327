import type { components } from '../generated/openapi.js';

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

/** How the caller is described in one line: `alice`, or `acme (organization token ci)`. */
export function callerLabel(user: ApiUser): string {
  if (!user.tokenInfo) return user.githubLogin;
  const { name, team } = user.tokenInfo;
  return team ? `${user.githubLogin} (team ${team}, token ${name})` : `${user.githubLogin} (organization token ${name})`;
}
