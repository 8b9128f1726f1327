import type { Organization, Team, TokenRecord, User } from './records.js';

/**
 * Who is acting. A person authenticates with a personal token, or with a console session (then
 * `token` is null); organization and team tokens act as their organization or team; `system` is
 * the operator at the command line (`tessera admin …`), who has already proven access to the
 * database itself.
 */
export type Principal =
  | { kind: 'user'; user: User; token: TokenRecord | null }
  | { kind: 'organization'; org: Organization; token: TokenRecord }
  | { kind: 'team'; org: Organization; team: Team; token: TokenRecord }
  | { kind: 'system' };

export const SYSTEM: Principal = { kind: 'system' };

/** The token the principal authenticated with, if any. */
export function principalToken(p: Principal): TokenRecord | null {
  return p.kind === 'system' ? null : p.token;
}
