// The wire shapes the CLI reads (API.md sections 3 and 4). Written by hand until types are
// generated from openapi.json; only the fields the CLI uses are listed.

/** `GET /api/user`. */
export interface ApiUser {
  id: string;
  githubLogin: string;
  name: string;
  email: string;
  siteAdmin: boolean;
  organizations: { name: string; role: string }[];
  tokenInfo?: { name: string; organization: string; team: string };
  token?: { id: string; type: string; expires: number };
}

/** An element of a token list. */
export interface ApiAccessToken {
  id: string;
  name: string;
  description: string;
  created: string;
  lastUsed: number;
  expires: number;
  admin: boolean;
  createdBy: string;
  type: 'personal' | 'team' | 'organization';
  status: 'active' | 'expired' | 'revoked';
  displayValue: string;
  source: string;
  revokedAt: number;
}

/** One page of a token list. */
export interface ApiTokenList {
  tokens: ApiAccessToken[];
  continuationToken?: string;
}

/** The answer to a token creation; `tokenValue` is the secret, shown once. */
export interface ApiCreatedToken {
  id: string;
  tokenValue: string;
}

/** How the caller is described in one line: `alice`, or `acme (organization token ci)`. */
export function callerLabel(user: ApiUser): string {
  if (!user.tokenInfo) return user.githubLogin;
  const { name, team } = user.tokenInfo;
  return team ? `${user.githubLogin} (team ${team}, token ${name})` : `${user.githubLogin} (organization token ${name})`;
}
